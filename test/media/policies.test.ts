/**
 * Media policies of interleaved sources: too many images or tiles (drop / shrink / reject), an image that
 * cannot be had (drop, counted / reject the document), duplicate images (skip, counted).
 */
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { budget, mediaStage, type MediaPolicy } from '../../src/media/stage.js';
import { cpuBackend } from '../../src/compute/cpu.js';
import { Rejects } from '../../src/core/rejects.js';
import { Stats } from '../../src/core/stats.js';
import type { Document, MediaDocument } from '../../src/core/model.js';

const images = { minTiles: 1, maxTiles: 12, tileSize: 448 as const, encoding: 'jpeg' as const, quality: 80, maxBytes: 5e7, maxPixels: 1e8, multiImage: 'divide' as const };
const policy = (p: Partial<MediaPolicy>): MediaPolicy => ({ onImageError: 'drop', maxImages: 16, tooMany: 'shrink', dedup: false, ...p });
const photo = readFileSync('sample-data/images/board.jpg');
const other = readFileSync('sample-data/images/verify.jpg');

describe('tile budget', () => {
  test('the multi-image rule, then shrinking to fit the sequence, then dropping what cannot fit', () => {
    expect(budget(1, images, 48, policy({}))).toEqual({ keep: 1, maxTiles: 12 });
    expect(budget(3, images, 48, policy({}))).toEqual({ keep: 3, maxTiles: 4 });
    // 10 images: the multi-image rule gives 1 tile each; with 'keep' (12 each) shrinking stops at 3 (10 × (3 + thumbnail) = 40 ≤ 48)
    expect(budget(10, images, 48, policy({}))).toEqual({ keep: 10, maxTiles: 1 });
    expect(budget(10, { ...images, multiImage: 'keep' }, 48, policy({}))).toEqual({ keep: 10, maxTiles: 3 });
    expect(budget(60, images, 48, policy({ maxImages: 100 }))).toEqual({ keep: 48, maxTiles: 1 });
    expect(budget(20, images, 48, policy({ maxImages: 6, tooMany: 'drop' }))).toEqual({ keep: 6, maxTiles: 2 });
    expect(budget(20, images, 48, policy({ maxImages: 6, tooMany: 'reject' }))).toBeNull();
    expect(budget(10, { ...images, multiImage: 'keep' }, 48, policy({ tooMany: 'reject' }))).toBeNull();
  });
});

async function run(docs: Document[], p: MediaPolicy) {
  const stats = new Stats();
  const rejects = new Rejects(stats, undefined, 0, true);
  const out: MediaDocument[] = [];
  const store = { get: async (url: string) => { if (url.includes('missing')) throw Object.assign(new (await import('../../src/media/errors.js')).MediaError('image.missing', `no ${url}`)); return url.includes('broken') ? photo.subarray(0, 3000) : url.includes('other') ? other : photo; } };
  const src = async function* () { yield* docs; };
  for await (const d of mediaStage(src(), { compute: cpuBackend(), images, packMaxTiles: 48, concurrency: 2, rejects, stats, policy: { ...p, store }, seen: new Set() })) out.push(d);
  return { out, stats, rejects: rejects.records };
}

const doc = (id: string, urls: string[]): Document => ({
  id, source: 'web', kind: 'interleaved', provenance: { source: 'web', file: 'f', location: id },
  segments: urls.flatMap((u) => [{ type: 'text' as const, text: `about ${u}` }, { type: 'image' as const, image: { kind: 'url' as const, url: u } }]),
});
const imagesOf = (d: MediaDocument) => d.segments.filter((s) => s.type === 'image');

describe('media stage policies', () => {
  test('a missing image is dropped and counted, or rejects its document', async () => {
    const dropped = await run([doc('a', ['u1', 'missing', 'u2'])], policy({}));
    expect(imagesOf(dropped.out[0])).toHaveLength(2);
    expect(dropped.stats.get('images.dropped.image.missing')).toBe(1);
    const rejected = await run([doc('a', ['u1', 'missing'])], policy({ onImageError: 'reject' }));
    expect(rejected.out).toEqual([]);
    expect(rejected.rejects.map((r) => r.reason)).toEqual(['image.missing']);
  });

  test('too many images: drop the trailing ones (counted) or reject', async () => {
    const urls = Array.from({ length: 8 }, (_, i) => `u${i}`);
    const drop = await run([doc('a', urls)], policy({ maxImages: 3, tooMany: 'drop' }));
    expect(imagesOf(drop.out[0])).toHaveLength(3);
    expect(drop.stats.get('images.dropped.too_many')).toBe(5);
    const rej = await run([doc('a', urls)], policy({ maxImages: 3, tooMany: 'reject' }));
    expect(rej.rejects.map((r) => r.reason)).toEqual(['doc.too_many_images']);
  });

  test('shrink: every image gets the reduced tile budget and the document fits one sequence', async () => {
    const { out } = await run([doc('a', ['u1', 'u2', 'u3'])], policy({}));
    const tiles = imagesOf(out[0]).map((s) => (s as { image: { tiles: unknown[] } }).image.tiles.length);
    expect(tiles).toEqual([3, 3, 3]); // 3 images → maxTiles 4 each; 720×477 (1.51) → 2×1 grid + thumbnail
    expect(tiles.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(48);
  });

  test('duplicate images are skipped when dedup is on (content hash, across documents)', async () => {
    const { out, stats } = await run([doc('a', ['u1', 'u2']), doc('b', ['u3', 'other'])], policy({ dedup: true }));
    expect(out.map((d) => imagesOf(d).length)).toEqual([1, 1]);
    expect(stats.get('images.dropped.duplicate')).toBe(2);
  });
});

describe('media stage: what a dropped image leaves behind', () => {
  const mixed = (id: string, parts: (string | { url: string })[], textJoiner?: string): Document => ({
    id, source: 'web', kind: 'interleaved', provenance: { source: 'web', file: 'f', location: id }, textJoiner,
    segments: parts.map((p) => (typeof p === 'string' ? { type: 'text' as const, text: p } : { type: 'image' as const, image: { kind: 'url' as const, url: p.url } })),
  });
  const texts = (d: MediaDocument) => d.segments.flatMap((s) => (s.type === 'text' ? [s.text] : s.type === 'image' ? ['<image>'] : []));

  test('the texts on either side of a dropped image are joined as two adjacent texts of the document are', async () => {
    const { out } = await run([
      mixed('obelics', ['The right edge.', { url: 'missing' }, 'The header pins.', { url: 'u1' }, 'End.']),
      mixed('mmc4', ['First sentence.', { url: 'broken' }, 'Second sentence.'], ' '),
      mixed('all', [{ url: 'missing' }, 'Only text.', { url: 'missing2' }]),
    ], policy({}));
    expect(texts(out[0])).toEqual(['The right edge.\n\nThe header pins.', '<image>', 'End.']);
    expect(texts(out[1])).toEqual(['First sentence. Second sentence.']);
    expect(texts(out[2])).toEqual(['Only text.']);
  });

  test('the multi-image tile budget counts the images that are kept (missing and undecodable ones are not)', async () => {
    const tilesOf = (d: MediaDocument) => d.segments.flatMap((s) => (s.type === 'image' ? [s.image.tiles.length] : []));
    // 2 usable of 4: each gets maxTiles floor(12 / 2) = 6 → 720×477 (1.51) → 3×2 grid + thumbnail = 7 tiles.
    const { out, stats } = await run([doc('a', ['u1', 'missing', 'broken', 'u2'])], policy({}));
    expect(tilesOf(out[0])).toEqual([7, 7]);
    expect(stats.get('images.tiled')).toBe(2);
    expect(stats.get('images.dropped')).toBe(2);
    expect(stats.get('images.dropped.image.missing')).toBe(1);
    expect(stats.get('images.dropped.image.truncated')).toBe(1);
    // The same two images alone get the same tiles.
    const alone = await run([doc('b', ['u1', 'u2'])], policy({}));
    expect(tilesOf(alone.out[0])).toEqual([7, 7]);
    // maxImagesPerDoc counts usable images: the missing one does not take a place.
    const capped = await run([doc('c', ['missing', 'u1', 'u2', 'u3'])], policy({ maxImages: 2, tooMany: 'drop' }));
    expect(tilesOf(capped.out[0])).toEqual([7, 7]);
    expect(capped.stats.get('images.dropped.too_many')).toBe(1);
  });
});
