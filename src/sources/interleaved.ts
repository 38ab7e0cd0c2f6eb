/**
 * Interleaved web documents: OBELICS Parquet rows and MMC4 JSONL lines become documents whose segments
 * keep reading order — text, image, text, … Images stay references (URL, path or bytes) here; the media
 * stage resolves them through the image store and tiles them.
 */
import type { Document, ImageRef, Segment } from '../core/model.js';
import type { InterleavedSource } from '../config/types.js';
import type { SourceContext, SourceReader } from './types.js';
import type { InputUnit } from './units.js';
import { DecompressError, decodeUtf8, fileBytes, splitLines, stripCompression } from './lines.js';
import { ParquetFileError, parquetRowGroups } from './parquet-rows.js';

export const END_OF_DOCUMENT = 'END_OF_DOCUMENT_TOKEN_TO_BE_REPLACED';
type RejectFn = (location: string, reason: string, detail?: string) => void;

export const interleavedReader: SourceReader<InterleavedSource> = {
  async *read(unit, cfg, ctx) {
    const reject: RejectFn = (location, reason, detail) => ctx.reject({ file: unit.display, location, reason, detail });
    const p = stripCompression(unit.path).toLowerCase();
    const format = cfg.format && cfg.format !== 'auto' ? cfg.format : p.endsWith('.parquet') ? 'obelics' : /\.(jsonl|ndjson|json)$/.test(p) ? 'mmc4' : null;
    if (!format) return reject('file', 'file.unknown_format', 'expected .parquet (OBELICS) or .jsonl[.gz|.zst] (MMC4); set format: in the source');
    try {
      if (format === 'obelics') yield* readObelics(unit, cfg, reject);
      else yield* readMmc4(unit, cfg, reject, ctx);
    } catch (e) {
      if (e instanceof ParquetFileError) reject('file', 'parquet.unreadable', e.message);
      else if (e instanceof DecompressError) reject('file', `file.${e.compression}_corrupt`, e.message);
      else reject('file', 'file.read_error', (e as Error).message);
    }
  },
};

function makeDoc(unit: InputUnit, cfg: InterleavedSource, location: string, id: string, segments: Segment[], textJoiner: string): Document {
  return { id, source: cfg.name, kind: 'interleaved', segments, provenance: { source: cfg.name, file: unit.display, location }, textJoiner };
}

/** OBELICS texts are paragraphs, MMC4's are sentences: how adjacent ones are joined. */
const PARAGRAPH = '\n\n';
const SENTENCE = ' ';

/** Append text, merging with a preceding text segment (paragraphs joined by a blank line). */
function pushText(segs: Segment[], text: string, joiner: string): void {
  const last = segs[segs.length - 1];
  if (last?.type === 'text') last.text += joiner + text;
  else segs.push({ type: 'text', text });
}

const hasContent = (segs: Segment[]) => segs.some((s) => s.type === 'image' || (s.type === 'text' && s.text.trim() !== ''));

function obelicsImage(v: unknown): ImageRef | null {
  if (typeof v === 'string') return v === '' ? null : { kind: 'url', url: v };
  if (v instanceof Uint8Array) return v.length ? { kind: 'bytes', bytes: v } : null;
  if (v && typeof v === 'object') {
    const s = v as { bytes?: unknown; path?: unknown };
    if (s.bytes instanceof Uint8Array && s.bytes.length) return { kind: 'bytes', bytes: s.bytes, name: typeof s.path === 'string' ? s.path : undefined };
    if (typeof s.path === 'string' && s.path) return { kind: 'url', url: s.path };
  }
  return null;
}

function asText(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (v instanceof Uint8Array) return decodeUtf8(v);
  return null;
}

async function* readObelics(unit: InputUnit, cfg: InterleavedSource, reject: RejectFn): AsyncGenerator<Document> {
  const f = { images: cfg.field?.images ?? 'images', texts: cfg.field?.texts ?? 'texts', general: cfg.field?.generalMetadata ?? 'general_metadata' };
  for await (const batch of parquetRowGroups(unit.path, [f.images, f.texts])) {
    for (const [i, row] of batch.rows.entries()) {
      const r = batch.firstRow + i;
      const loc = `row ${r}`;
      const images = row[f.images];
      const texts = row[f.texts];
      if (!Array.isArray(images) || !Array.isArray(texts)) { reject(loc, 'obelics.bad_row', `"${f.images}" and "${f.texts}" must be lists`); continue; }
      if (images.length !== texts.length) { reject(loc, 'obelics.length_mismatch', `${images.length} images vs ${texts.length} texts`); continue; }
      const docs: Segment[][] = [[]];
      let bad: string | null = null;
      for (let k = 0; k < images.length; k++) {
        const img = obelicsImage(images[k]);
        const txt = asText(texts[k]);
        if ((img === null) === (txt === null)) { bad = `position ${k}: ${img ? 'both an image and a text' : 'neither an image nor a text'}`; break; }
        if (img) { docs[docs.length - 1].push({ type: 'image', image: img }); continue; }
        // The published data keeps this marker inside texts: it ends a document.
        const pieces = txt!.split(END_OF_DOCUMENT);
        pieces.forEach((piece, j) => {
          if (j > 0) docs.push([]);
          if (piece.trim()) pushText(docs[docs.length - 1], piece.trim(), PARAGRAPH);
        });
      }
      if (bad) { reject(loc, 'obelics.bad_position', bad); continue; }
      const kept = docs.filter(hasContent);
      if (kept.length === 0) { reject(loc, 'obelics.empty', 'no text and no image'); continue; }
      for (const [j, segs] of kept.entries()) yield makeDoc(unit, cfg, loc, kept.length > 1 ? `${unit.display}:row${r}/d${j}` : `${unit.display}:row${r}`, segs, PARAGRAPH);
    }
  }
}

interface Mmc4Image { image_name?: unknown; raw_url?: unknown; matched_text_index?: unknown; matched_sim?: unknown }

async function* readMmc4(unit: InputUnit, cfg: InterleavedSource, reject: RejectFn, ctx: SourceContext): AsyncGenerator<Document> {
  const count = ctx.count;
  const minSim = cfg.minSimilarity ?? 0.24;
  for await (const line of splitLines(fileBytes(unit.path, ctx), 256 << 20)) {
    const loc = `line ${line.no}`;
    if (line.tooLong) { reject(loc, 'text.too_large', `line of ${line.tooLong} bytes`); continue; }
    const str = decodeUtf8(line.bytes);
    if (str === null) { reject(loc, 'text.invalid_utf8', 'line is not valid UTF-8'); continue; }
    if (!str.trim()) continue;
    let rec: { text_list?: unknown; image_info?: unknown };
    try {
      rec = JSON.parse(str);
    } catch (e) {
      reject(loc, 'json.malformed', (e as Error).message);
      continue;
    }
    const sentences = rec?.text_list;
    if (!Array.isArray(sentences) || !sentences.every((s) => typeof s === 'string')) { reject(loc, 'mmc4.bad_row', '"text_list" must be a list of strings'); continue; }
    const info = rec.image_info ?? [];
    if (!Array.isArray(info)) { reject(loc, 'mmc4.bad_row', '"image_info" must be a list'); continue; }
    const before = new Map<number, ImageRef[]>();
    let badImage: string | null = null;
    for (const im of info as Mmc4Image[]) {
      const idx = im?.matched_text_index;
      const ref = typeof im?.raw_url === 'string' ? im.raw_url : typeof im?.image_name === 'string' ? im.image_name : null;
      if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0 || idx >= sentences.length || !ref) { badImage = `image ${JSON.stringify(im).slice(0, 120)}: needs image_name/raw_url and a matched_text_index in [0, ${sentences.length})`; break; }
      if (typeof im.matched_sim === 'number' && im.matched_sim < minSim) { count?.('images.dropped.similarity'); count?.('images.dropped'); continue; }
      const list = before.get(idx) ?? [];
      list.push({ kind: 'url', url: ref });
      before.set(idx, list);
    }
    if (badImage) { reject(loc, 'mmc4.bad_image', badImage); continue; }
    const segs: Segment[] = [];
    sentences.forEach((s: string, k: number) => {
      for (const image of before.get(k) ?? []) segs.push({ type: 'image', image });
      if (s.trim()) pushText(segs, s.trim(), SENTENCE);
    });
    if (!hasContent(segs)) { reject(loc, 'mmc4.empty', 'no text and no image'); continue; }
    yield makeDoc(unit, cfg, loc, `${unit.display}:${line.no}`, segs, SENTENCE);
  }
}
