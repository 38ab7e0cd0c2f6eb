/**
 * The tokenize stage: documents (after the media stage) become samples — token ids with image spans
 * `<img>` + `<IMG_CONTEXT>` × 256·tiles + `</img>` — in reading order. Texts are tokenized in batches
 * on the worker pool; batches are pipelined (the next is read while one is being tokenized) and come
 * back in input order.
 */
import type { MediaDocument, Sample, SampleImage, SpecialIds, TiledImage } from '../core/model.js';
import type { Stage } from '../core/stage.js';
import { TOKENS_PER_TILE } from '../core/model.js';

export interface TextEncoder {
  encodeMany(texts: string[]): Promise<Int32Array[]>;
}

export interface SampleOptions {
  special: SpecialIds;
  /** Token appended to every sample (e.g. `<|endoftext|>`), or null. */
  eosId: number | null;
}

/** Texts of a document in order, the strings handed to the tokenizer. */
export function documentTexts(doc: MediaDocument): string[] {
  const out: string[] = [];
  for (const seg of doc.segments) {
    if (seg.type === 'text') out.push(seg.text);
    else if (seg.type === 'video') seg.video.frames.forEach((_, i) => out.push(`${i === 0 ? '' : '\n'}Frame-${i + 1}: `));
  }
  return out;
}

/** Assemble one sample from a document and the token ids of its texts (as `documentTexts` listed them). */
export function assembleSample(doc: MediaDocument, textIds: Int32Array[], opts: SampleOptions): Sample {
  const { special } = opts;
  let length = opts.eosId === null ? 0 : 1;
  let t = 0;
  for (const seg of doc.segments) {
    if (seg.type === 'text') length += textIds[t++].length;
    else if (seg.type === 'image') length += spanLength(seg.image.tiles.length);
    else for (let f = 0; f < seg.video.frames.length; f++) length += textIds[t++].length + spanLength(1);
  }
  const ids = new Int32Array(length);
  const images: SampleImage[] = [];
  let at = 0;
  let textTokens = 0;
  t = 0;
  const putText = (x: Int32Array) => { ids.set(x, at); at += x.length; textTokens += x.length; };
  const putImage = (img: TiledImage) => {
    images.push({ grid: img.grid, tiles: img.tiles, start: at });
    ids[at++] = special.imgStart;
    ids.fill(special.imgContext, at, at + img.tiles.length * TOKENS_PER_TILE);
    at += img.tiles.length * TOKENS_PER_TILE;
    ids[at++] = special.imgEnd;
  };
  for (const seg of doc.segments) {
    if (seg.type === 'text') putText(textIds[t++]);
    else if (seg.type === 'image') putImage(seg.image);
    else for (const frame of seg.video.frames) {
      putText(textIds[t++]);
      putImage({ grid: { cols: 1, rows: 1, thumbnail: false }, tiles: [frame] });
    }
  }
  if (opts.eosId !== null) { ids[at++] = opts.eosId; textTokens++; }
  return { id: doc.id, source: doc.source, inputIds: ids, images, textTokens, provenance: doc.provenance };
}

function spanLength(tiles: number): number {
  return tiles * TOKENS_PER_TILE + 2;
}

/**
 * Tokenize documents in batches of about `batchChars` characters, and at most `batchMediaBytes` bytes of
 * encoded tiles (a batch holds its documents' pixels until it is tokenized: short captions must not
 * gather thousands of images); at most `ahead` batches are in the tokenizer at once. Output order =
 * input order.
 */
export async function* tokenizeDocuments(
  docs: AsyncIterable<MediaDocument>,
  encoder: TextEncoder,
  opts: SampleOptions & { batchChars?: number; batchMediaBytes?: number; ahead?: number },
): AsyncGenerator<Sample> {
  const batchChars = opts.batchChars ?? 1 << 18;
  const batchMediaBytes = opts.batchMediaBytes ?? 8 << 20;
  const ahead = Math.max(1, opts.ahead ?? 2);
  const inflight: Promise<Sample[]>[] = [];
  let batch: MediaDocument[] = [];
  let chars = 0;
  let mediaBytes = 0;
  const launch = () => {
    const docsOf = batch;
    const texts = docsOf.map(documentTexts);
    const flat = texts.flat();
    const p = encoder.encodeMany(flat).then((ids) => {
      let k = 0;
      return docsOf.map((d, i) => assembleSample(d, ids.slice(k, (k += texts[i].length)), opts));
    });
    p.catch(() => undefined); // awaited in order below; this only silences the early-rejection warning
    inflight.push(p);
    batch = [];
    chars = 0;
    mediaBytes = 0;
  };
  for await (const doc of docs) {
    batch.push(doc);
    for (const s of doc.segments) {
      if (s.type === 'text') chars += s.text.length;
      else if (s.type === 'image') for (const t of s.image.tiles) mediaBytes += t.byteLength;
      else for (const f of s.video.frames) mediaBytes += f.byteLength;
    }
    if (chars >= batchChars || mediaBytes >= batchMediaBytes || batch.length >= 4096) {
      launch();
      if (inflight.length >= ahead) yield* await inflight.shift()!;
    }
  }
  if (batch.length > 0) launch();
  while (inflight.length > 0) yield* await inflight.shift()!;
}

/** The tokenize stage of a source's chain: documents → samples, texts tokenized on `encoder` (the worker pool). */
export function tokenizeStage(encoder: TextEncoder, opts: SampleOptions): Stage<MediaDocument, Sample> {
  return (docs) => tokenizeDocuments(docs, encoder, opts);
}
