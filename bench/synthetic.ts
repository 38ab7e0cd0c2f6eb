/**
 * A realistic generated sample stream for packing tests and bench:pack: a long tail of text lengths,
 * caption pairs, multi-image interleaved documents with 1–13 tiles per image, and video clips — with real
 * `<img>` / `<IMG_CONTEXT>` × 256·tiles / `</img>` spans. Tiles are tiny placeholder byte arrays.
 */
import type { Sample, SampleImage } from '../src/core/model.js';
import { rngFor, type Rng } from '../src/core/rng.js';

export const SPECIAL = { imgStart: 151669, imgEnd: 151670, imgContext: 151671 };
const TILE = Uint8Array.from([1, 2, 3]);

function textLen(rng: Rng, median: number, max: number): number {
  // log-normal-ish: most short, some very long
  const z = Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next());
  return Math.max(4, Math.min(max, Math.round(median * Math.exp(1.1 * z))));
}

function build(id: string, source: string, parts: (number | { tiles: number; cols: number; rows: number })[]): Sample {
  let n = 0;
  for (const p of parts) n += typeof p === 'number' ? p : p.tiles * 256 + 2;
  const ids = new Int32Array(n);
  const images: SampleImage[] = [];
  let at = 0;
  let text = 0;
  for (const p of parts) {
    if (typeof p === 'number') {
      for (let i = 0; i < p; i++) ids[at + i] = 1000 + ((at + i) % 5000);
      at += p;
      text += p;
      continue;
    }
    images.push({ grid: { cols: p.cols, rows: p.rows, thumbnail: p.tiles > 1 }, tiles: Array.from({ length: p.tiles }, () => TILE), start: at });
    ids[at++] = SPECIAL.imgStart;
    ids.fill(SPECIAL.imgContext, at, at + p.tiles * 256);
    at += p.tiles * 256;
    ids[at++] = SPECIAL.imgEnd;
  }
  return { id, source, inputIds: ids, images, textTokens: text, provenance: { source, file: 'synthetic', location: id } };
}

function image(rng: Rng, maxTiles: number): { tiles: number; cols: number; rows: number } {
  const grid = rng.int(1, maxTiles);
  const cols = rng.int(1, grid);
  return { tiles: grid === 1 ? 1 : grid + 1, cols, rows: Math.max(1, Math.floor(grid / cols)) };
}

/** `count` samples: 40 % text, 30 % interleaved (1–6 images), 25 % caption pairs, 5 % video (8–32 frames). */
export function* syntheticSamples(count: number, seed = 1, maxTokens = 16384): Generator<Sample> {
  const rng = rngFor(seed, 'synthetic');
  for (let i = 0; i < count; i++) {
    const r = rng.next();
    if (r < 0.4) yield build(`t${i}`, 'text', [textLen(rng, 600, maxTokens * 3)]);
    else if (r < 0.7) {
      const k = rng.int(1, 6);
      const per = Math.max(1, Math.floor(12 / k));
      const parts: (number | ReturnType<typeof image>)[] = [textLen(rng, 200, 4000)];
      for (let j = 0; j < k; j++) parts.push(image(rng, per), textLen(rng, 150, 3000));
      yield build(`i${i}`, 'interleaved', parts);
    } else if (r < 0.95) yield build(`c${i}`, 'caption', [image(rng, 12), textLen(rng, 30, 300)]);
    else {
      const frames = rng.int(8, 32);
      const parts: (number | ReturnType<typeof image>)[] = [];
      for (let f = 0; f < frames; f++) parts.push(5, { tiles: 1, cols: 1, rows: 1 });
      parts.push(textLen(rng, 40, 400));
      yield build(`v${i}`, 'video', parts);
    }
  }
}

export async function* asAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}
