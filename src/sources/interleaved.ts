/**
 * Interleaved web documents: OBELICS Parquet rows and MMC4 JSONL lines become documents whose segments
 * keep reading order — text, image, text, … (ids `file:rowN`, or `file:rowN/dK` when END_OF_DOCUMENT splits
 * a row; `file:line` for MMC4). Images stay references (URL, path or bytes) here; the media stage resolves
 * them through the image store and tiles them.
 */
import type { ImageRef, Segment } from '../core/model.js';
import type { InterleavedSource } from '../config/types.js';
import { type Format, sourceReader } from './reader.js';
import { decodeUtf8, jsonlRecords, stripCompression } from './lines.js';
import { parquetPieces, parquetRecords } from './parquet-rows.js';

export const END_OF_DOCUMENT = 'END_OF_DOCUMENT_TOKEN_TO_BE_REPLACED';

/** OBELICS texts are paragraphs, MMC4's are sentences: how adjacent ones are joined. */
const PARAGRAPH = '\n\n';
const SENTENCE = ' ';

/** Append text, merging with a preceding text segment (joined by `joiner`). */
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

const fields = (cfg: InterleavedSource) => ({ images: cfg.field.images, texts: cfg.field.texts });

const obelics: Format<InterleavedSource, Record<string, unknown>> = {
  records: (unit, cfg) => parquetRecords(unit, Object.values(fields(cfg))),
  toDocument({ record, id }, cfg) {
    const f = fields(cfg);
    const images = record[f.images];
    const texts = record[f.texts];
    if (!Array.isArray(images) || !Array.isArray(texts)) return { reason: 'obelics.bad_row', detail: `"${f.images}" and "${f.texts}" must be lists` };
    if (images.length !== texts.length) return { reason: 'obelics.length_mismatch', detail: `${images.length} images vs ${texts.length} texts` };
    const docs: Segment[][] = [[]];
    for (let k = 0; k < images.length; k++) {
      const img = obelicsImage(images[k]);
      const txt = asText(texts[k]);
      if ((img === null) === (txt === null)) return { reason: 'obelics.bad_position', detail: `position ${k}: ${img ? 'both an image and a text' : 'neither an image nor a text'}` };
      if (img) { docs[docs.length - 1].push({ type: 'image', image: img }); continue; }
      // The published data keeps this marker inside texts: it ends a document.
      txt!.split(END_OF_DOCUMENT).forEach((piece, j) => {
        if (j > 0) docs.push([]);
        if (piece.trim()) pushText(docs[docs.length - 1], piece.trim(), PARAGRAPH);
      });
    }
    const kept = docs.filter(hasContent);
    if (kept.length === 0) return { reason: 'obelics.empty', detail: 'no text and no image' };
    return kept.map((segments, j) => ({ segments, id: kept.length > 1 ? `${id}/d${j}` : id, textJoiner: PARAGRAPH }));
  },
};

interface Mmc4Image { image_name?: unknown; raw_url?: unknown; matched_text_index?: unknown; matched_sim?: unknown }

const mmc4: Format<InterleavedSource, Record<string, unknown>> = {
  records: (unit, _cfg, ctx) => jsonlRecords(unit, ctx, 256 << 20, { notObject: { reason: 'mmc4.bad_row', detail: '"text_list" must be a list of strings' } }),
  toDocument({ record }, cfg, ctx) {
    const sentences = record.text_list;
    if (!Array.isArray(sentences) || !sentences.every((s) => typeof s === 'string')) return { reason: 'mmc4.bad_row', detail: '"text_list" must be a list of strings' };
    const info = record.image_info ?? [];
    if (!Array.isArray(info)) return { reason: 'mmc4.bad_row', detail: '"image_info" must be a list' };
    // Each image goes before the sentence it matched; weak matches are dropped and counted.
    const before = new Map<number, ImageRef[]>();
    for (const im of info as Mmc4Image[]) {
      const idx = im?.matched_text_index;
      const ref = typeof im?.raw_url === 'string' ? im.raw_url : typeof im?.image_name === 'string' ? im.image_name : null;
      if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0 || idx >= sentences.length || !ref) {
        return { reason: 'mmc4.bad_image', detail: `image ${JSON.stringify(im).slice(0, 120)}: needs image_name/raw_url and a matched_text_index in [0, ${sentences.length})` };
      }
      if (typeof im.matched_sim === 'number' && im.matched_sim < cfg.minSimilarity) { ctx.count('images.dropped.similarity'); ctx.count('images.dropped'); continue; }
      before.set(idx, [...(before.get(idx) ?? []), { kind: 'url', url: ref }]);
    }
    const segs: Segment[] = [];
    sentences.forEach((s: string, k: number) => {
      for (const image of before.get(k) ?? []) segs.push({ type: 'image', image });
      if (s.trim()) pushText(segs, s.trim(), SENTENCE);
    });
    if (!hasContent(segs)) return { reason: 'mmc4.empty', detail: 'no text and no image' };
    return { segments: segs, textJoiner: SENTENCE };
  },
};

export const interleavedReader = sourceReader<InterleavedSource, 'obelics' | 'mmc4'>({
  kind: 'interleaved',
  formatOf(path, cfg) {
    if (cfg.format && cfg.format !== 'auto') return cfg.format;
    const p = stripCompression(path).toLowerCase();
    return p.endsWith('.parquet') ? 'obelics' : /\.(jsonl|ndjson|json)$/.test(p) ? 'mmc4' : null;
  },
  unknownFormat: 'expected .parquet (OBELICS) or .jsonl[.gz|.zst] (MMC4); set format: in the source',
  formats: { obelics, mmc4 },
  // OBELICS Parquet splits at row groups (for ranks); MMC4 JSONL is read whole.
  pieces: { obelics: (unit, cfg) => parquetPieces(unit.path, Object.values(fields(cfg))) },
});
