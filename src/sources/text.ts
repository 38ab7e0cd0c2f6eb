/**
 * Text sources: JSONL (optionally .gz / .zst; one document per line), Parquet (one column; one per row) and
 * plain .txt (one document per file). A document is one text segment. Ids: the `idField` value when set,
 * else `file:line` / `file:rowN` / the file's path. Errors that stop a JSONL or Parquet file are placed
 * after the last line or row read.
 */
import { stat } from 'node:fs/promises';
import type { TextSource } from '../config/types.js';
import { type Format, type Rejection, sourceReader } from './reader.js';
import { decodeUtf8, fileBytes, jsonlRecords, stripCompression } from './lines.js';
import { parquetPieces, parquetRecords } from './parquet-rows.js';

/** Why a value cannot be a document's text; null when it can. */
function textProblem(value: unknown, field: string, max: number): Rejection | null {
  if (value === undefined || value === null) return { reason: 'field.missing', detail: `no "${field}" field` };
  if (typeof value !== 'string') return { reason: 'field.type', detail: `"${field}" is ${Array.isArray(value) ? 'an array' : typeof value}, expected a string` };
  if (value.trim().length === 0) return { reason: 'text.empty', detail: 'empty document' };
  if (value.length > max) return { reason: 'text.too_large', detail: `${value.length} characters > maxDocumentBytes ${max}` };
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) return { reason: 'text.invalid_utf16', detail: 'lone surrogate in the text' };
  return null;
}

/** The keys of a record, for a message: the first ten, quoted, and how many more (a wrong `field:` shows at once). */
export function fieldList(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  if (keys.length === 0) return 'no fields';
  const shown = keys.slice(0, 10).map((k) => JSON.stringify(k)).join(', ');
  return `the field${keys.length > 1 ? 's' : ''} ${shown}${keys.length > 10 ? ` and ${keys.length - 10} more` : ''}`;
}

/** A record (a JSONL object or a Parquet row) → a document of its `field`, with the `idField` id when there is one. */
function recordText(record: Record<string, unknown>, value: unknown, cfg: TextSource) {
  const field = cfg.field;
  const problem = textProblem(value, field, cfg.maxDocumentBytes);
  if (problem?.reason === 'field.missing') return { ...problem, detail: `${problem.detail}; the record has ${fieldList(record)}` };
  if (problem) return problem;
  const id = cfg.idField ? record[cfg.idField] : undefined;
  return { segments: [{ type: 'text' as const, text: value as string }], id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined };
}

const jsonl: Format<TextSource, Record<string, unknown>> = {
  records(unit, cfg, ctx) {
    ctx.position = 'after line 0';
    // A JSON line may be a few bytes longer than its text (quotes, escapes, other fields).
    return jsonlRecords(unit, ctx, cfg.maxDocumentBytes * 2 + 4096, {
      tooLong: (n) => `line of ${n} bytes > 2 × maxDocumentBytes`,
      onLine: (no) => (ctx.position = `after line ${no}`),
    });
  },
  toDocument: ({ record }, cfg) => recordText(record, record[cfg.field], cfg),
};

const parquetColumns = (cfg: TextSource) => (cfg.idField ? [cfg.field, cfg.idField] : [cfg.field]);

const parquet: Format<TextSource, Record<string, unknown>> = {
  records(unit, cfg, ctx) {
    // A part of the file (several ranks) starts after the rows of the parts before it.
    const first = unit.part?.kind === 'row-groups' ? unit.part.firstRow : 0;
    if (first > 0) ctx.position = `after row ${first - 1}`;
    return parquetRecords(unit, parquetColumns(cfg), (row) => (ctx.position = row === 0 ? 'file' : `after row ${row}`));
  },
  toDocument({ record }, cfg) {
    const field = cfg.field;
    const raw = record[field];
    // A BYTE_ARRAY column without a UTF8 annotation comes back as bytes: decode it strictly.
    const value = raw instanceof Uint8Array ? decodeUtf8(raw) ?? raw : raw;
    if (value instanceof Uint8Array) return { reason: 'text.invalid_utf8', detail: `"${field}" is not valid UTF-8` };
    return recordText(record, value, cfg);
  },
};

const txt: Format<TextSource, Uint8Array> = {
  async *records(unit, cfg, ctx) {
    const max = cfg.maxDocumentBytes;
    // An uncompressed file larger than the limit is refused from its size, without reading it.
    const { size } = await stat(unit.path);
    if (size > max && !/\.(gz|zst)$/.test(unit.path)) return ctx.reject('file', 'text.too_large', `${size} bytes > maxDocumentBytes ${max}`);
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of fileBytes(unit.path, ctx)) {
      total += chunk.length;
      if (total > max * 4) return ctx.reject('file', 'text.too_large', `more than ${max * 4} bytes`);
      parts.push(chunk);
    }
    yield { location: 'file', id: unit.display, record: Buffer.concat(parts) };
  },
  toDocument({ record }, cfg) {
    const text = decodeUtf8(record);
    if (text === null) return { reason: 'text.invalid_utf8', detail: 'file is not valid UTF-8' };
    return textProblem(text, 'text', cfg.maxDocumentBytes) ?? { segments: [{ type: 'text', text }] };
  },
};

export const textReader = sourceReader<TextSource, 'jsonl' | 'parquet' | 'txt'>({
  kind: 'text',
  formatOf(path, cfg) {
    if (cfg.format && cfg.format !== 'auto') return cfg.format;
    const p = stripCompression(path).toLowerCase();
    return /\.(jsonl|ndjson|json)$/.test(p) ? 'jsonl' : p.endsWith('.parquet') ? 'parquet' : p.endsWith('.txt') ? 'txt' : null;
  },
  unknownFormat: 'extension is not .jsonl/.json/.ndjson[.gz|.zst], .parquet or .txt; set format: in the source',
  formats: { jsonl, parquet, txt },
  // Parquet splits at row groups (for ranks); JSONL and .txt files are read whole.
  pieces: { parquet: (unit, cfg) => parquetPieces(unit.path, parquetColumns(cfg)) },
});
