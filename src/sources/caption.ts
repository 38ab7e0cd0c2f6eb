/**
 * Image–caption pairs. A document is one image then its caption. Inputs: WebDataset tars
 * (img2dataset layout), or Parquet / JSONL / CSV with an image column (bytes, a `{bytes, path}` struct,
 * or a path relative to the file) and a caption column.
 */
import { createReadStream, existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import type { Document, ImageRef } from '../core/model.js';
import type { CaptionSource } from '../config/types.js';
import type { SourceContext, SourceReader } from './types.js';
import type { InputUnit } from './units.js';
import { DecompressError, decodeUtf8, fileBytes, jsonObjects, splitLines, stripCompression } from './lines.js';
import { ParquetFileError, parquetRowGroups } from './parquet-rows.js';
import { IMAGE_EXTENSIONS, wdsSamples } from './webdataset.js';

type RejectFn = (location: string, reason: string, detail?: string) => void;
const MAX_MEMBER = 256 << 20;

export const captionReader: SourceReader<CaptionSource> = {
  async *read(unit, cfg, ctx) {
    const reject: RejectFn = (location, reason, detail) => ctx.reject({ file: unit.display, location, reason, detail });
    const p = stripCompression(unit.path).toLowerCase();
    const format = cfg.format && cfg.format !== 'auto' ? cfg.format : /\.(tar|tgz)$/.test(p) ? 'webdataset' : p.endsWith('.parquet') ? 'parquet' : p.endsWith('.csv') ? 'csv' : /\.(jsonl|ndjson|json)$/.test(p) ? 'jsonl' : null;
    if (!format) return reject('file', 'file.unknown_format', 'extension is not .tar, .parquet, .csv or .jsonl; set format: in the source');
    try {
      if (format === 'webdataset') yield* readTar(unit, cfg, reject);
      else if (format === 'parquet') yield* readTable(unit, cfg, parquetRecords(unit, cfg), reject);
      else if (format === 'csv') yield* readTable(unit, cfg, csvRecords(unit), reject);
      else yield* readTable(unit, cfg, jsonlRecords(unit, reject, ctx), reject);
    } catch (e) {
      if (e instanceof DecompressError) reject('file', `file.${e.compression}_corrupt`, e.message);
      else if (e instanceof ParquetFileError) reject('file', 'parquet.unreadable', e.message);
      else if ((e as NodeJS.ErrnoException).code === 'ENOENT') reject('file', 'file.missing', (e as Error).message);
      else reject('file', format === 'webdataset' ? 'tar.unreadable' : 'file.read_error', (e as Error).message);
    }
  },
};

function pair(unit: InputUnit, cfg: CaptionSource, location: string, id: string, image: ImageRef, caption: string): Document {
  return {
    id,
    source: cfg.name,
    kind: 'caption',
    segments: [{ type: 'image', image }, { type: 'text', text: caption }],
    provenance: { source: cfg.name, file: unit.display, location },
  };
}

function captionProblem(c: unknown): [string, string] | null {
  if (c === undefined || c === null) return ['caption.missing', 'no caption'];
  if (typeof c !== 'string') return ['caption.type', `caption is ${typeof c}, expected a string`];
  if (c.trim() === '') return ['caption.empty', 'empty caption'];
  return null;
}

async function* readTar(unit: InputUnit, cfg: CaptionSource, reject: RejectFn): AsyncGenerator<Document> {
  const capExt = cfg.captionField && cfg.captionField !== 'caption' ? cfg.captionField : 'txt';
  for await (const s of wdsSamples(unit.path, MAX_MEMBER)) {
    const loc = `member ${s.first}`;
    const imgExt = findExt(s.files, IMAGE_EXTENSIONS);
    if (!imgExt) { reject(loc, 'image.missing', `sample "${s.key}" has no image member (${[...s.files.keys()].join(', ')})`); continue; }
    const capKey = findExt(s.files, [capExt]);
    const raw = capKey === undefined ? undefined : s.files.get(capKey);
    const caption = raw === undefined ? undefined : decodeUtf8(raw);
    if (caption === null) { reject(loc, 'text.invalid_utf8', `${s.key}.${capExt} is not valid UTF-8`); continue; }
    const problem = captionProblem(caption?.trim());
    if (problem) { reject(loc, problem[0], `${problem[1]} (${s.key}.${capExt})`); continue; }
    yield pair(unit, cfg, loc, `${unit.display}/${s.key}`, { kind: 'bytes', bytes: s.files.get(imgExt)!, name: `${s.key}.${imgExt}` }, caption!.trim());
  }
}

/** The member whose extension is (or ends with `.`) one of `wanted`, in the order of `wanted`. */
function findExt(files: Map<string, Uint8Array>, wanted: string[]): string | undefined {
  for (const w of wanted) for (const ext of files.keys()) if (ext === w || ext.endsWith('.' + w)) return ext;
  return undefined;
}

interface TableRecord { location: string; id: string; record: Record<string, unknown> }

async function* readTable(unit: InputUnit, cfg: CaptionSource, records: AsyncIterable<TableRecord>, reject: RejectFn): AsyncGenerator<Document> {
  const imageField = cfg.imageField ?? 'image';
  const captionField = cfg.captionField ?? 'caption';
  for await (const { location, id, record } of records) {
    const caption = record[captionField];
    const problem = captionProblem(caption);
    if (problem) { reject(location, problem[0], `${problem[1]} in "${captionField}"`); continue; }
    const image = imageRef(record[imageField], unit);
    if (typeof image === 'string') { reject(location, 'image.missing', `"${imageField}": ${image}`); continue; }
    yield pair(unit, cfg, location, id, image, (caption as string).trim());
  }
}

/** Bytes, a `{bytes, path}` struct (img2dataset / HF datasets), a path relative to the file, or a URL. */
function imageRef(v: unknown, unit: InputUnit): ImageRef | string {
  if (v === undefined || v === null || v === '') return 'no image';
  if (v instanceof Uint8Array) return v.length ? { kind: 'bytes', bytes: v } : 'empty bytes';
  if (typeof v === 'object' && !Array.isArray(v)) {
    const s = v as { bytes?: unknown; path?: unknown };
    if (s.bytes instanceof Uint8Array && s.bytes.length) return { kind: 'bytes', bytes: s.bytes };
    if (typeof s.path === 'string' && s.path) return imageRef(s.path, unit);
    return 'struct without bytes or path';
  }
  if (typeof v !== 'string') return `unsupported value of type ${typeof v}`;
  if (/^https?:\/\//i.test(v)) return { kind: 'url', url: v };
  const p = isAbsolute(v) ? v : join(dirname(unit.path), v);
  return existsSync(p) ? { kind: 'path', path: p } : `file ${v} does not exist`;
}

async function* parquetRecords(unit: InputUnit, cfg: CaptionSource): AsyncGenerator<TableRecord> {
  for await (const batch of parquetRowGroups(unit.path, [cfg.imageField ?? 'image', cfg.captionField ?? 'caption'])) {
    for (const [i, record] of batch.rows.entries()) {
      const row = batch.firstRow + i;
      yield { location: `row ${row}`, id: `${unit.display}:row${row}`, record };
    }
  }
}

async function* jsonlRecords(unit: InputUnit, reject: RejectFn, ctx: SourceContext): AsyncGenerator<TableRecord> {
  for await (const j of jsonObjects(splitLines(fileBytes(unit.path, ctx), MAX_MEMBER), reject)) {
    yield { location: j.location, id: `${unit.display}:${j.no}`, record: j.record };
  }
}

async function* csvRecords(unit: InputUnit): AsyncGenerator<TableRecord> {
  const parser = createReadStream(unit.path).pipe(parseCsv({ columns: true, skip_empty_lines: true, relax_column_count: true, bom: true }));
  let n = 1; // the header is line 1
  for await (const rec of parser) {
    n++;
    yield { location: `record ${n - 1} (line ${parser.info.lines})`, id: `${unit.display}:${n - 1}`, record: rec as Record<string, unknown> };
  }
}
