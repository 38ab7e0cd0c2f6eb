/**
 * Text sources: JSONL (optionally .gz / .zst), Parquet (one column), plain .txt (one document per file).
 * One document = one text segment.
 */
import { stat } from 'node:fs/promises';
import type { Document } from '../core/model.js';
import type { TextSource } from '../config/types.js';
import type { SourceContext, SourceReader } from './types.js';
import type { InputUnit } from './units.js';
import { DecompressError, decodeUtf8, fileBytes, jsonObjects, splitLines, stripCompression } from './lines.js';
import { ParquetFileError, parquetRowGroups } from './parquet-rows.js';

export type TextFormat = 'jsonl' | 'parquet' | 'txt';

export function textFormatOf(path: string, configured: TextSource['format']): TextFormat | null {
  if (configured && configured !== 'auto') return configured;
  const p = stripCompression(path).toLowerCase();
  if (/\.(jsonl|ndjson|json)$/.test(p)) return 'jsonl';
  if (p.endsWith('.parquet')) return 'parquet';
  if (p.endsWith('.txt')) return 'txt';
  return null;
}

export const textReader: SourceReader<TextSource> = {
  async *read(unit, cfg, ctx) {
    const format = textFormatOf(unit.path, cfg.format);
    const reject = (location: string, reason: string, detail?: string) => ctx.reject({ file: unit.display, location, reason, detail });
    if (!format) {
      reject('file', 'file.unknown_format', 'extension is not .jsonl/.json/.ndjson[.gz|.zst], .parquet or .txt; set format: in the source');
      return;
    }
    if (format === 'jsonl') yield* readJsonl(unit, cfg, ctx, reject);
    else if (format === 'parquet') yield* readParquet(unit, cfg, reject);
    else yield* readTxt(unit, cfg, reject, ctx);
  },
};

type RejectFn = (location: string, reason: string, detail?: string) => void;

function doc(unit: InputUnit, cfg: TextSource, location: string, id: string, text: string): Document {
  return {
    id,
    source: cfg.name,
    kind: 'text',
    segments: [{ type: 'text', text }],
    provenance: { source: cfg.name, file: unit.display, location },
  };
}

/** Check a value as a document text; returns the reject reason, or null when usable. */
function textProblem(value: unknown, field: string, maxBytes: number): [string, string] | null {
  if (value === undefined || value === null) return ['field.missing', `no "${field}" field`];
  if (typeof value !== 'string') return ['field.type', `"${field}" is ${Array.isArray(value) ? 'an array' : typeof value}, expected a string`];
  if (value.trim().length === 0) return ['text.empty', 'empty document'];
  if (value.length > maxBytes) return ['text.too_large', `${value.length} characters > maxDocumentBytes ${maxBytes}`];
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) return ['text.invalid_utf16', 'lone surrogate in the text'];
  return null;
}

function idOf(unit: InputUnit, cfg: TextSource, record: Record<string, unknown> | null, fallback: string): string {
  const v = cfg.idField ? record?.[cfg.idField] : undefined;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : `${unit.display}:${fallback}`;
}

async function* readJsonl(unit: InputUnit, cfg: TextSource, ctx: SourceContext, reject: RejectFn): AsyncGenerator<Document> {
  const field = cfg.field ?? 'text';
  const max = cfg.maxDocumentBytes ?? 64 << 20;
  let last = 0;
  try {
    // A JSON line may be a few bytes longer than its text (quotes, escapes, other fields).
    const lines = splitLines(fileBytes(unit.path, ctx), max * 2 + 4096);
    for await (const j of jsonObjects(lines, reject, (n) => `line of ${n} bytes > 2 × maxDocumentBytes`, (no) => (last = no))) {
      const problem = textProblem(j.record[field], field, max);
      if (problem) { reject(j.location, problem[0], problem[1]); continue; }
      yield doc(unit, cfg, j.location, idOf(unit, cfg, j.record, String(j.no)), j.record[field] as string);
      if (ctx.signal.aborted) return;
    }
  } catch (e) {
    if (e instanceof DecompressError) reject(`after line ${last}`, `file.${e.compression}_corrupt`, e.message);
    else if ((e as NodeJS.ErrnoException).code === 'ENOENT') reject('file', 'file.missing', (e as Error).message);
    else reject(`after line ${last}`, 'file.read_error', (e as Error).message);
  }
}

async function* readParquet(unit: InputUnit, cfg: TextSource, reject: RejectFn): AsyncGenerator<Document> {
  const field = cfg.field ?? 'text';
  const columns = cfg.idField ? [field, cfg.idField] : [field];
  let at = 0;
  try {
    for await (const batch of parquetRowGroups(unit.path, columns)) {
      for (let i = 0; i < batch.rows.length; i++) {
        const row = batch.firstRow + i;
        at = row;
        const loc = `row ${row}`;
        const raw = batch.rows[i][field];
        // A BYTE_ARRAY column without a UTF8 annotation comes back as bytes: decode it strictly.
        const value = raw instanceof Uint8Array ? decodeUtf8(raw) ?? raw : raw;
        if (value instanceof Uint8Array) { reject(loc, 'text.invalid_utf8', `"${field}" is not valid UTF-8`); continue; }
        const problem = textProblem(value, field, cfg.maxDocumentBytes ?? 64 << 20);
        if (problem) { reject(loc, problem[0], problem[1]); continue; }
        yield doc(unit, cfg, loc, idOf(unit, cfg, batch.rows[i], `row${row}`), value as string);
      }
    }
  } catch (e) {
    if (e instanceof ParquetFileError) reject(at === 0 ? 'file' : `after row ${at}`, 'parquet.unreadable', e.message);
    else throw e;
  }
}

async function* readTxt(unit: InputUnit, cfg: TextSource, reject: RejectFn, ctx: SourceContext): AsyncGenerator<Document> {
  const max = cfg.maxDocumentBytes ?? 64 << 20;
  let size: number;
  try {
    size = (await stat(unit.path)).size;
  } catch (e) {
    reject('file', 'file.missing', (e as Error).message);
    return;
  }
  // An uncompressed file larger than the limit is refused from its size, without reading it.
  if (size > max && !/\.(gz|zst)$/.test(unit.path)) { reject('file', 'text.too_large', `${size} bytes > maxDocumentBytes ${max}`); return; }
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of fileBytes(unit.path, ctx)) {
      total += chunk.length;
      if (total > max * 4) { reject('file', 'text.too_large', `more than ${max * 4} bytes`); return; }
      parts.push(chunk);
    }
  } catch (e) {
    reject('file', e instanceof DecompressError ? `file.${e.compression}_corrupt` : 'file.read_error', (e as Error).message);
    return;
  }
  const text = decodeUtf8(Buffer.concat(parts));
  if (text === null) { reject('file', 'text.invalid_utf8', 'file is not valid UTF-8'); return; }
  const problem = textProblem(text, 'text', max);
  if (problem) { reject('file', problem[0], problem[1]); return; }
  yield doc(unit, cfg, 'file', unit.display, text);
}
