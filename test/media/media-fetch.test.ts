/**
 * The media stage fetches ahead of tiling: a document's images at once (the same ones as one after another
 * would), and enough documents at once to keep the image store's `concurrency` gets busy.
 */
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { mediaStage, type MediaPolicy } from '../../src/media/stage.js';
import { MediaError } from '../../src/media/errors.js';
import { cpuBackend } from '../../src/compute/cpu.js';
import { Rejects } from '../../src/core/rejects.js';
import { Stats } from '../../src/core/stats.js';
import type { Document } from '../../src/core/model.js';

const images = { minTiles: 1, maxTiles: 12, tileSize: 448 as const, encoding: 'jpeg' as const, quality: 80, maxBytes: 5e7, maxPixels: 1e8, multiImage: 'divide' as const };
const photo = readFileSync('sample-data/images/board.jpg');
const doc = (id: string, urls: string[]): Document => ({
  id, source: 'web', kind: 'interleaved', provenance: { source: 'web', file: 'f', location: id },
  segments: urls.flatMap((u) => [{ type: 'text' as const, text: `about ${u}` }, { type: 'image' as const, image: { kind: 'url' as const, url: u } }]),
});

/** A store that answers after 100 ms and records which URLs were asked for and how many at once. */
function countingStore(concurrency: number) {
  const s = { asked: [] as string[], active: 0, peak: 0, concurrency };
  return Object.assign(s, {
    async get(url: string) {
      s.asked.push(url);
      s.peak = Math.max(s.peak, ++s.active);
      await new Promise((r) => setTimeout(r, 100));
      s.active--;
      if (url.includes('missing')) throw new MediaError('image.missing', `no ${url}`);
      return photo;
    },
  });
}

async function run(docs: Document[], store: ReturnType<typeof countingStore>, p: Partial<MediaPolicy> = {}) {
  const stats = new Stats();
  const rejects = new Rejects(stats, undefined, 0, true);
  const policy: MediaPolicy = { onImageError: 'drop', maxImages: 16, tooMany: 'shrink', dedup: false, store, ...p };
  const src = async function* () { yield* docs; };
  const out = [];
  for await (const d of mediaStage(src(), { compute: cpuBackend(), images, packMaxTiles: 48, concurrency: 2, rejects, stats, policy })) out.push(d);
  return { out, stats };
}

describe('media stage: fetching', () => {
  test("a document's images are fetched at once", async () => {
    const store = countingStore(16);
    await run([doc('a', ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'])], store);
    expect(store.peak).toBe(6);
  });

  test('past maxImagesPerDoc usable images the rest are not fetched; a missing one starts the next', async () => {
    const store = countingStore(16);
    const { out, stats } = await run([doc('a', ['u0', 'missing1', 'u2', 'missing3', 'u4', 'u5', 'u6'])], store, { maxImages: 3, tooMany: 'drop' });
    expect(store.asked.sort()).toEqual(['missing1', 'missing3', 'u0', 'u2', 'u4']);
    expect(out[0].segments.filter((s) => s.type === 'image')).toHaveLength(3);
    expect(stats.get('images.dropped.too_many')).toBe(2);
  });

  test("documents are fetched ahead of tiling, up to the store's concurrency", async () => {
    const store = countingStore(12);
    const { out } = await run(Array.from({ length: 30 }, (_, i) => doc(`d${i}`, [`u${i}`])), store);
    expect(out.map((d) => d.id)).toEqual(Array.from({ length: 30 }, (_, i) => `d${i}`));
    expect(store.peak).toBeGreaterThanOrEqual(12);
  });
});
