/**
 * Image–caption pairs. A document is one image then its caption. Inputs: WebDataset tars (img2dataset
 * layout; a sample is the members of one key, id `file/key`), or Parquet / JSONL / CSV tables with an image
 * column (bytes, a `{bytes, path}` struct, a URL, or a path relative to the file) and a caption column
 * (ids `file:rowN`, `file:line`, `file:record`).
 */
import { createReadStream, existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { ImageRef } from '../core/model.js';
import type { CaptionSource } from '../config/types.js';
import type { InputUnit } from './units.js';
import { type Draft, type Format, type Rejection, sourceReader } from './reader.js';
import { decodeUtf8, jsonlRecords, stripCompression } from './lines.js';
import { parquetPieces, parquetRecords } from './parquet-rows.js';
import { IMAGE_EXTENSIONS, type WdsSample, tarPieces, wdsSamples } from './webdataset.js';

const MAX_MEMBER = 256 << 20;

const pair = (image: ImageRef, caption: string): Draft => ({ segments: [{ type: 'image', image }, { type: 'text', text: caption }] });

function captionProblem(c: unknown): Rejection | null {
  if (c === undefined || c === null) return { reason: 'caption.missing', detail: 'no caption' };
  if (typeof c !== 'string') return { reason: 'caption.type', detail: `caption is ${typeof c}, expected a string` };
  if (c.trim() === '') return { reason: 'caption.empty', detail: 'empty caption' };
  return null;
}

/** The member whose extension is (or ends with `.`) one of `wanted`, in the order of `wanted`. */
function findExt(files: Map<string, Uint8Array>, wanted: string[]): string | undefined {
  for (const w of wanted) for (const ext of files.keys()) if (ext === w || ext.endsWith('.' + w)) return ext;
  return undefined;
}

const webdataset: Format<CaptionSource, WdsSample> = {
  async *records(unit) {
    for await (const s of wdsSamples(unit.path, MAX_MEMBER, unit.part)) yield { location: `member ${s.first}`, id: `${unit.display}/${s.key}`, record: s };
  },
  toDocument({ record: s }, cfg) {
    const capExt = cfg.captionField && cfg.captionField !== 'caption' ? cfg.captionField : 'txt';
    const imgExt = findExt(s.files, IMAGE_EXTENSIONS);
    if (!imgExt) return { reason: 'image.missing', detail: `sample "${s.key}" has no image member (${[...s.files.keys()].join(', ')})` };
    const capKey = findExt(s.files, [capExt]);
    const raw = capKey === undefined ? undefined : s.files.get(capKey);
    const caption = raw === undefined ? undefined : decodeUtf8(raw);
    if (caption === null) return { reason: 'text.invalid_utf8', detail: `${s.key}.${capExt} is not valid UTF-8` };
    const problem = captionProblem(caption?.trim());
    if (problem) return { reason: problem.reason, detail: `${problem.detail} (${s.key}.${capExt})` };
    return pair({ kind: 'bytes', bytes: s.files.get(imgExt)!, name: `${s.key}.${imgExt}` }, caption!.trim());
  },
};

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

/** A table record (Parquet row, JSONL object, CSV record) → a pair; the hooks differ only in their records. */
function tableFormat(records: Format<CaptionSource, Record<string, unknown>>['records']): Format<CaptionSource, Record<string, unknown>> {
  return {
    records,
    toDocument({ record }, cfg, ctx) {
      const imageField = cfg.imageField;
      const captionField = cfg.captionField;
      const caption = record[captionField];
      const problem = captionProblem(caption);
      if (problem) return { reason: problem.reason, detail: `${problem.detail} in "${captionField}"` };
      const image = imageRef(record[imageField], ctx.unit);
      if (typeof image === 'string') return { reason: 'image.missing', detail: `"${imageField}": ${image}` };
      return pair(image, (caption as string).trim());
    },
  };
}

async function* csvRecords(unit: InputUnit) {
  const { parse: parseCsv } = await import('csv-parse'); // on first use: ten modules no other source needs
  const parser = createReadStream(unit.path).pipe(parseCsv({ columns: true, skip_empty_lines: true, relax_column_count: true, bom: true }));
  let n = 0; // records; the header is line 1
  for await (const record of parser) {
    n++;
    yield { location: `record ${n} (line ${parser.info.lines})`, id: `${unit.display}:${n}`, record: record as Record<string, unknown> };
  }
}

export const captionReader = sourceReader<CaptionSource, 'webdataset' | 'parquet' | 'jsonl' | 'csv'>({
  kind: 'caption',
  formatOf(path, cfg) {
    if (cfg.format && cfg.format !== 'auto') return cfg.format;
    const p = stripCompression(path).toLowerCase();
    return /\.(tar|tgz)$/.test(p) ? 'webdataset' : p.endsWith('.parquet') ? 'parquet' : p.endsWith('.csv') ? 'csv' : /\.(jsonl|ndjson|json)$/.test(p) ? 'jsonl' : null;
  },
  unknownFormat: 'extension is not .tar, .parquet, .csv or .jsonl; set format: in the source',
  formats: {
    webdataset,
    parquet: tableFormat((unit, cfg) => parquetRecords(unit, [cfg.imageField, cfg.captionField])),
    jsonl: tableFormat((unit, _cfg, ctx) => jsonlRecords(unit, ctx, MAX_MEMBER)),
    csv: tableFormat(csvRecords),
  },
  // Tars split at sample boundaries, Parquet at row groups (for ranks); JSONL and CSV are read whole.
  pieces: {
    webdataset: (unit) => tarPieces(unit.path, MAX_MEMBER),
    parquet: (unit, cfg) => parquetPieces(unit.path, [cfg.imageField, cfg.captionField]),
  },
});
