/**
 * Byte streams of input files, decompressed by extension (.gz, .zst), and split into lines as raw bytes
 * so that invalid UTF-8 can be detected per line instead of being silently replaced.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

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

/** The decompressed bytes of a file, chunk by chunk (bounded memory). */
export async function* fileBytes(path: string, highWaterMark = 1 << 20): AsyncGenerator<Uint8Array> {
  const compression = compressionOf(path);
  const raw = createReadStream(path, { highWaterMark });
  if (compression === 'none') {
    yield* raw as AsyncIterable<Buffer>;
  } else if (compression === 'gzip') {
    const gunzip = createGunzip();
    raw.on('error', (e) => gunzip.destroy(e));
    try {
      yield* raw.pipe(gunzip) as AsyncIterable<Buffer>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new DecompressError('gzip', `gzip: ${(e as Error).message}`, { cause: e });
      throw e;
    } finally {
      raw.destroy();
    }
  } else {
    yield* zstdChunks(raw);
  }
}

async function* zstdChunks(raw: AsyncIterable<Buffer> & { destroy(): void }): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const dec = new Decompress((chunk) => out.push(chunk));
  let pushed = false;
  try {
    for await (const buf of raw) {
      try {
        dec.push(buf);
      } catch (e) {
        throw new DecompressError('zstd', `zstd: ${(e as Error).message}`, { cause: e });
      }
      pushed = true;
      while (out.length) yield out.shift()!;
    }
    try {
      dec.push(new Uint8Array(0), true);
    } catch (e) {
      throw new DecompressError('zstd', `zstd: ${(e as Error).message || 'truncated stream'}`, { cause: e });
    }
    while (out.length) yield out.shift()!;
    if (!pushed) return;
  } finally {
    raw.destroy();
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

/**
 * JSON objects of a JSONL stream, one per non-blank line. Lines over the limit, invalid UTF-8, malformed
 * JSON and non-objects are reported through `reject(location, reason, detail)` and skipped.
 */
export async function* jsonObjects(
  lines: AsyncIterable<Line>,
  reject: (location: string, reason: string, detail?: string) => void,
  tooLongDetail = (n: number) => `line of ${n} bytes`,
  onLine?: (no: number) => void,
): AsyncGenerator<JsonLine> {
  for await (const line of lines) {
    onLine?.(line.no);
    const loc = `line ${line.no}`;
    if (line.tooLong) { reject(loc, 'text.too_large', tooLongDetail(line.tooLong)); continue; }
    const str = decodeUtf8(line.bytes);
    if (str === null) { reject(loc, 'text.invalid_utf8', 'line is not valid UTF-8'); continue; }
    if (!str.trim()) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(str);
    } catch (e) {
      reject(loc, 'json.malformed', (e as Error).message);
      continue;
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) { reject(loc, 'json.not_object', 'line is not a JSON object'); continue; }
    yield { no: line.no, location: loc, record: rec as Record<string, unknown> };
  }
}
