/**
 * Byte streams of input files, decompressed by extension (.gz, .zst) and verified before use, split into
 * lines as raw bytes so that invalid UTF-8 can be detected per line instead of being silently replaced;
 * and the one JSONL parse loop (`jsonObjects`) with the records hook every JSONL format uses (`jsonlRecords`).
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { RawRecord, RejectFn, Rejection, UnitContext } from './types.js';
import type { InputUnit } from './units.js';
import { loadCreate64, ZstdFrameError, ZstdFrames } from './zstd-frames.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function compressionOf(path: string): Compression {
  if (/\.gz$/i.test(path)) return 'gzip';
  if (/\.zst(d)?$/i.test(path)) return 'zstd';
  return 'none';
}

/** Strip a compression suffix: `a.jsonl.gz` → `a.jsonl`. */
export function stripCompression(path: string): string {
  return path.replace(/\.(gz|zst|zstd)$/i, '');
}

export class DecompressError extends Error {
  constructor(readonly compression: Compression, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface FileBytesOptions {
  highWaterMark?: number;
  /** Told once per file about content accepted without proof (zstd frames written without a checksum). */
  warn?(message: string): void;
  /** Checked while a compressed file is verified: once aborted, the file yields nothing more. */
  signal?: AbortSignal;
}

/**
 * The decompressed bytes of a file, chunk by chunk (bounded memory). Compressed data is verified before it
 * is used: a first pass decodes the file and checks every zstd frame's checksum (gzip: CRC-32 and length),
 * keeping nothing; the second pass yields only what the first proved good. A corrupt gzip file yields
 * nothing; a zstd file yields its frames before the first bad one. Either then throws DecompressError,
 * so no byte of a corrupt region (nor a partial line before it, see splitLines) reaches a reader.
 */
export async function* fileBytes(path: string, opts: FileBytesOptions = {}): AsyncGenerator<Uint8Array> {
  const highWaterMark = opts.highWaterMark ?? 1 << 20;
  const compression = compressionOf(path);
  if (compression === 'none') yield* createReadStream(path, { highWaterMark }) as AsyncIterable<Buffer>;
  else if (compression === 'gzip') yield* gzipChecked(path, highWaterMark, opts);
  else yield* zstdChecked(path, highWaterMark, opts);
}

/** gzip checks a member only at its end, after inflating it: verify the whole file before yielding any of it. */
async function* gzipChecked(path: string, highWaterMark: number, opts: FileBytesOptions): AsyncGenerator<Uint8Array> {
  let size = 0;
  try {
    for await (const chunk of gunzip(path, highWaterMark)) {
      size += chunk.length;
      if (opts.signal?.aborted) return;
    }
  } catch (e) {
    if (!(e as NodeJS.ErrnoException).code?.startsWith('Z_')) throw e;
    const what = GZIP_ERRORS[(e as Error).message] ?? (e as Error).message;
    throw new DecompressError('gzip', `gzip: ${what} after ${size} decompressed bytes; a gzip member is checked only at its end, so none of the file is used`, { cause: e });
  }
  let again = 0;
  try {
    for await (const chunk of gunzip(path, highWaterMark)) {
      again += chunk.length;
      yield chunk;
    }
  } catch (e) {
    if (!(e as NodeJS.ErrnoException).code?.startsWith('Z_')) throw e;
    throw new DecompressError('gzip', `gzip: the file changed while being read: ${(e as Error).message}`, { cause: e });
  }
  if (again !== size) throw new DecompressError('gzip', `gzip: the file changed while being read (${size} then ${again} bytes)`);
}

const GZIP_ERRORS: Record<string, string> = {
  'incorrect data check': 'CRC-32 mismatch (incorrect data check)',
  'incorrect length check': 'length mismatch (incorrect length check)',
  'unexpected end of file': 'truncated (unexpected end of file)',
};

async function* gunzip(path: string, highWaterMark: number): AsyncGenerator<Buffer> {
  const raw = createReadStream(path, { highWaterMark });
  const inflate = createGunzip();
  raw.on('error', (e) => inflate.destroy(e));
  try {
    yield* raw.pipe(inflate) as AsyncIterable<Buffer>;
  } finally {
    raw.destroy();
  }
}

/**
 * zstd: the first pass checks every frame; the second decodes again, only up to the end of the last good
 * frame, and yields. A bad frame k means frames 1..k-1 are kept and the rest of the file is rejected.
 */
async function* zstdChecked(path: string, highWaterMark: number, opts: FileBytesOptions): AsyncGenerator<Uint8Array> {
  const create64 = await loadCreate64();
  const check = new ZstdFrames({ create64, emit: false });
  let problem: ZstdFrameError | undefined;
  const raw = createReadStream(path, { highWaterMark });
  try {
    for await (const buf of raw as AsyncIterable<Buffer>) {
      for (const _ of check.push(buf)); // verifying only: nothing comes out
      if (opts.signal?.aborted) return;
    }
    check.finish();
  } catch (e) {
    if (!(e instanceof ZstdFrameError)) throw e;
    problem = e;
  } finally {
    raw.destroy();
  }
  const good = check.good;
  if (good.unchecked) opts.warn?.(`${path}: ${good.unchecked} zstd frame(s) have no checksum (written with --no-check); their content cannot be verified`);
  if (good.end > 0) {
    const again = new ZstdFrames({ create64, emit: true });
    const prefix = createReadStream(path, { highWaterMark, end: good.end - 1 });
    let n = 0;
    try {
      for await (const buf of prefix as AsyncIterable<Buffer>) {
        for (const piece of again.push(buf)) {
          n += piece.length;
          yield piece;
        }
      }
      again.finish();
    } catch (e) {
      if (e instanceof ZstdFrameError) throw new DecompressError('zstd', `zstd: the file changed while being read: ${e.message}`, { cause: e });
      throw e;
    } finally {
      prefix.destroy();
    }
    if (n !== good.bytes) throw new DecompressError('zstd', `zstd: the file changed while being read (${good.bytes} then ${n} bytes)`);
  }
  if (problem) {
    const kept = good.frames ? `; kept the ${good.frames} frame(s) before it (${good.bytes} decompressed bytes), rejected the rest of the file` : '; nothing of the file is used';
    throw new DecompressError('zstd', `zstd: ${problem.message}${kept}`, { cause: problem });
  }
}

export interface Line {
  bytes: Uint8Array;
  /** 1-based line number. */
  no: number;
  /** Set when the line was longer than `maxLineBytes`: its bytes were skipped, not kept. */
  tooLong?: number;
}

/**
 * Split a byte stream at `\n` (a trailing `\r` is removed); the last line may lack a newline.
 * A line longer than `maxLineBytes` is not accumulated (bounded memory): it comes out with `tooLong` set.
 * When the stream throws (corrupt input), an unfinished line is not emitted: it may be cut by the damage.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>, maxLineBytes = Infinity): AsyncGenerator<Line> {
  let parts: Uint8Array[] = [];
  let partLen = 0;
  let no = 0;
  const take = (piece: Uint8Array): Line => {
    const total = partLen + piece.length;
    let line: Line;
    if (total > maxLineBytes) line = { bytes: new Uint8Array(0), no: ++no, tooLong: total };
    else line = { bytes: trimCr(parts.length ? Buffer.concat([...parts, piece]) : piece), no: ++no };
    parts = [];
    partLen = 0;
    return line;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      yield take(chunk.subarray(start, i));
      start = i + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      // Past the limit only the length is kept.
      if (partLen + rest.length <= maxLineBytes) parts.push(rest.slice());
      else parts = [];
      partLen += rest.length;
    }
  }
  if (partLen > 0) yield take(new Uint8Array(0));
}

function trimCr(b: Uint8Array): Uint8Array {
  return b.length > 0 && b[b.length - 1] === 13 ? b.subarray(0, b.length - 1) : b;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decode UTF-8 strictly; null when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

export interface JsonLine { no: number; location: string; record: Record<string, unknown> }

export interface JsonLineOptions {
  /** Detail of the `text.too_large` reject of a line of `bytes` bytes. */
  tooLong?: (bytes: number) => string;
  /** Detail of the `text.invalid_utf8` reject. */
  invalidUtf8?: string;
  /** The reject of a line that is JSON but not an object (default `json.not_object`). */
  notObject?: Rejection;
  /** Told every line number, blank and rejected lines too (where reading stands). */
  onLine?: (no: number) => void;
}

/**
 * The JSONL parse loop (every JSONL format uses it): the JSON objects of a stream of lines, one per
 * non-blank line. Lines over the limit, invalid UTF-8, malformed JSON and non-objects are reported through
 * `reject(location, reason, detail)` and skipped.
 */
export async function* jsonObjects(lines: AsyncIterable<Line>, reject: RejectFn, opts: JsonLineOptions = {}): AsyncGenerator<JsonLine> {
  for await (const line of lines) {
    opts.onLine?.(line.no);
    const loc = `line ${line.no}`;
    if (line.tooLong) { reject(loc, 'text.too_large', opts.tooLong?.(line.tooLong) ?? `line of ${line.tooLong} bytes`); continue; }
    const str = decodeUtf8(line.bytes);
    if (str === null) { reject(loc, 'text.invalid_utf8', opts.invalidUtf8 ?? 'line is not valid UTF-8'); continue; }
    if (!str.trim()) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(str);
    } catch (e) {
      reject(loc, 'json.malformed', (e as Error).message);
      continue;
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
      const r = opts.notObject ?? { reason: 'json.not_object', detail: 'line is not a JSON object' };
      reject(loc, r.reason, r.detail);
      continue;
    }
    yield { no: line.no, location: loc, record: rec as Record<string, unknown> };
  }
}

/** The records hook of a JSONL unit (optionally .gz / .zst): one record per object, at `line N`, with id `file:N`. */
export async function* jsonlRecords(unit: InputUnit, ctx: UnitContext, maxLineBytes: number, opts?: JsonLineOptions): AsyncGenerator<RawRecord<Record<string, unknown>>> {
  for await (const j of jsonObjects(splitLines(fileBytes(unit.path, ctx), maxLineBytes), ctx.reject, opts)) {
    yield { location: j.location, id: `${unit.display}:${j.no}`, record: j.record };
  }
}
