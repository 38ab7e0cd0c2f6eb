/**
 * WebDataset tars as img2dataset writes them: `{key}.jpg|png|webp|…`, `{key}.txt`, `{key}.json`, members of
 * one key adjacent. The key is everything up to the *first* dot of the member's basename (keys with dots
 * break readers that split at the last dot). Read as a stream: one sample in memory at a time. A tar that
 * cannot be read (or a .tgz that cannot be gunzipped) throws TarError, a `tar.unreadable` reject.
 * A plain tar can be split between ranks at sample boundaries: `tarPieces` finds them from the headers.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { extract } from 'tar-stream';
import { createGunzip } from 'node:zlib';
import type { Piece, UnitPart } from './units.js';

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'tif', 'tiff', 'avif', 'bmp'];

/** The tar (or its gzip layer) is unreadable; samples before the problem were already yielded. */
export class TarError extends Error {}

export interface WdsSample {
  key: string;
  /** Member name of the first file of the sample, for provenance. */
  first: string;
  files: Map<string, Uint8Array>;
}

export function splitMemberName(name: string): { key: string; ext: string } | null {
  const base = posix.basename(name);
  const dot = base.indexOf('.');
  if (dot <= 0) return null;
  return { key: posix.join(posix.dirname(name), base.slice(0, dot)), ext: base.slice(dot + 1).toLowerCase() };
}

const isGzip = (path: string) => /\.(tgz|tar\.gz)$/.test(path);

/** Samples of a tar (or of the `bytes` part of it: whole samples, see `tarPieces`), grouped by key (consecutive members with the same key). */
export async function* wdsSamples(path: string, maxMemberBytes: number, part?: UnitPart): AsyncGenerator<WdsSample> {
  const ex = extract();
  const input = createReadStream(path, part?.kind === 'bytes' ? { start: part.start, end: part.end - 1 } : {});
  const gunzip = isGzip(path) ? createGunzip() : null;
  (gunzip ? input.pipe(gunzip) : input).pipe(ex);
  // pipe() does not pass errors on: without these a broken .tgz would leave the extractor waiting forever.
  input.on('error', (e) => ex.destroy(e));
  gunzip?.on('error', (e) => ex.destroy(e));
  let cur: WdsSample | null = null;
  try {
    for await (const entry of ex) {
      const h = entry.header;
      const parts = h.type === 'file' ? splitMemberName(h.name) : null;
      if (!parts || (h.size ?? 0) > maxMemberBytes) {
        await memberBytes(entry, false); // skipped (and an error while skipping is not waited on forever)
        continue;
      }
      const bytes = await memberBytes(entry, true);
      if (cur && cur.key !== parts.key) {
        yield cur;
        cur = null;
      }
      if (!cur) cur = { key: parts.key, first: h.name, files: new Map() };
      cur.files.set(parts.ext, bytes);
    }
    if (cur) yield cur;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e;
    throw new TarError((e as Error).message, { cause: e });
  } finally {
    input.destroy();
  }
}

/**
 * A member's data, kept or drained. The loop over its chunks is the hot one: on its own, V8 optimises this
 * small function rather than the whole generator around it (≈ 40–90 ms of compiling on a background thread).
 */
async function memberBytes(entry: AsyncIterable<unknown>, keep: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of entry) if (keep) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const BLOCK = 512;
const MAX_LONG_HEADER = 1 << 20; // a longer pax / long-name header (tar-stream allows 4 MiB): not split
/** Headers that describe the next member: pax, GNU long name (L, N) and long link name (K). */
const LONG_HEADERS = ['x', 'L', 'N', 'K'];

/**
 * The samples of a plain tar as pieces (byte ranges from the first header of a sample to the next one's),
 * read from the headers alone — one 512-byte read per member, data skipped. A sample starts where a member
 * the reader keeps has a key other than the last kept member's, as `wdsSamples` groups them. Returns null —
 * the tar is then read whole, as before — for a .tgz, or for anything the reader might read otherwise or
 * fail on (a bad checksum, an unknown header format, a global pax header, a truncated member).
 */
export async function tarPieces(path: string, maxMemberBytes: number): Promise<Piece[] | null> {
  if (isGzip(path)) return null;
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const block = Buffer.alloc(BLOCK);
    const starts = [0];
    let lastKey: string | null = null;
    let chain = -1; // where the extension headers (pax, GNU long name) of the next member began
    let longName: string | null = null;
    let pax: Record<string, string> | null = null;
    let off = 0;
    while (off < size) {
      if (off + BLOCK > size || (await fh.read(block, 0, BLOCK, off)).bytesRead !== BLOCK) return null;
      const h = decodeHeader(block);
      if (h === 'invalid') return null;
      if (h === null) { off += BLOCK; continue; } // an end-of-archive block; the reader reads on past it too
      if (h.type === 'g') return null;
      if (LONG_HEADERS.includes(h.type)) {
        if (h.size > MAX_LONG_HEADER || off + BLOCK + padded(h.size) > size) return null;
        const body = Buffer.alloc(h.size);
        await fh.read(body, 0, h.size, off + BLOCK);
        if (h.type === 'L' || h.type === 'N') longName = body.toString('utf8').replace(/\0.*$/s, '');
        else if (h.type === 'x') pax = decodePax(body);
        if (chain < 0) chain = off;
        off += BLOCK + padded(h.size);
        continue;
      }
      const name = pax?.path ?? longName ?? h.name;
      const memberSize = pax?.size !== undefined ? parseInt(pax.size, 10) : h.size;
      const start = chain >= 0 ? chain : off;
      chain = -1;
      longName = null;
      pax = null;
      const isDir = h.type === '5' || (h.type === '0' && name.endsWith('/'));
      if (!(memberSize >= 0) || (isDir && memberSize > 0) || off + BLOCK + padded(memberSize) > size) return null;
      const parts = h.type === '0' && !isDir && memberSize <= maxMemberBytes ? splitMemberName(name) : null;
      if (parts) {
        if (lastKey !== null && parts.key !== lastKey) starts.push(start);
        lastKey = parts.key;
      }
      off += BLOCK + padded(memberSize);
    }
    if (chain >= 0) return null;
    return starts.map((start, i) => {
      const end = starts[i + 1] ?? size;
      return { part: { kind: 'bytes', start, end }, bytes: end - start };
    });
  } finally {
    await fh.close();
  }
}

const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** A tar header as tar-stream reads it: null for an all-zero block, 'invalid' where it would throw. */
function decodeHeader(b: Buffer): { name: string; size: number; type: string } | null | 'invalid' {
  let sum = 8 * 32;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += b[i];
  if (sum === 8 * 32) return null;
  if (sum !== octal(b, 148, 8)) return 'invalid';
  const magic = b.toString('latin1', 257, 263);
  const ustar = magic === 'ustar\0';
  if (!ustar && !(magic === 'ustar ' && b.toString('latin1', 263, 265) === ' \0')) return 'invalid';
  let name = cString(b, 0, 100);
  if (ustar && b[345]) name = cString(b, 345, 155) + '/' + name;
  const size = b[124] & 0x80 ? NaN : octal(b, 124, 12); // base-256 sizes (members ≥ 8 GiB): not split
  if (!(size >= 0)) return 'invalid';
  return { name, size, type: b[156] === 0 ? '0' : String.fromCharCode(b[156]) };
}

function cString(b: Buffer, at: number, len: number): string {
  const end = b.indexOf(0, at);
  return b.toString('utf8', at, end < 0 || end > at + len ? at + len : end);
}

function octal(b: Buffer, at: number, len: number): number {
  const s = b.toString('latin1', at, at + len).replace(/^[ \0]+/, '');
  return s === '' ? 0 : parseInt(s, 8);
}

function decodePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  while (buf.length) {
    const sp = buf.indexOf(32);
    const len = parseInt(buf.toString('latin1', 0, sp < 0 ? buf.length : sp), 10);
    if (!len || sp < 0) break;
    const kv = buf.toString('utf8', sp + 1, len - 1);
    const eq = kv.indexOf('=');
    if (eq < 0) break;
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
    buf = buf.subarray(len);
  }
  return out;
}
