/**
 * stats.json's image sizes (read from the image headers, shown as displayed: EXIF rotation swaps width and
 * height) and the one definition of packing fill.
 */
import { describe, expect, test } from 'vitest';
import sharp from 'sharp';
import { imageHeaderSize, imageSizesOf, packingFill, recordImageSize, formatFill } from '../../src/shards/run-stats.js';
import { Stats } from '../../src/core/stats.js';

const img = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 10, g: 20, b: 30 } } });

describe('image sizes', () => {
  test('width × height from the headers of JPEG (EXIF-rotated too), PNG, GIF, WebP; null for what is not an image', async () => {
    expect(imageHeaderSize(await img(640, 480).jpeg().toBuffer())).toEqual({ width: 640, height: 480 });
    expect(imageHeaderSize(await img(640, 480).jpeg({ progressive: true }).withMetadata({ orientation: 6 }).toBuffer())).toEqual({ width: 480, height: 640 });
    expect(imageHeaderSize(await img(33, 1000).png().toBuffer())).toEqual({ width: 33, height: 1000 });
    expect(imageHeaderSize(await img(300, 20).gif().toBuffer())).toEqual({ width: 300, height: 20 });
    expect(imageHeaderSize(await img(123, 77).webp().toBuffer())).toEqual({ width: 123, height: 77 });
    expect(imageHeaderSize(await img(123, 77).webp({ lossless: true }).toBuffer())).toEqual({ width: 123, height: 77 });
    expect(imageHeaderSize(Uint8Array.from([1, 2, 3]))).toBeNull();
  });

  test('counted into log2 width/height buckets and aspect-ratio buckets', async () => {
    const stats = new Stats();
    for (const [w, h] of [[640, 480], [640, 480], [100, 400], [1000, 200]]) recordImageSize(stats, await img(w, h).png().toBuffer());
    recordImageSize(stats, Uint8Array.from([0, 1, 2]));
    const s = imageSizesOf(stats)!;
    expect(s.count).toBe(4);
    expect(s.unknown).toBe(1);
    expect(s.meanPixels).toBe(Math.round((2 * 640 * 480 + 100 * 400 + 1000 * 200) / 4));
    expect(s.width.counts[7]).toBe(1); // 100 in [64, 128)
    expect(s.width.counts[10]).toBe(3); // 640 and 1000 in [512, 1024)
    expect(s.width.edges[10]).toBe(512);
    const byLabel = Object.fromEntries(s.aspect.labels.map((l, i) => [l, s.aspect.counts[i]]));
    // 4:3 twice, 1:4 (on the edge: the bucket above), 5:1.
    expect(byLabel).toEqual({ '<1:4': 0, '1:4–1:3': 1, '1:3–1:2': 0, '1:2–2:3': 0, '2:3–4:5': 0, '≈1:1': 0, '5:4–3:2': 2, '3:2–2:1': 0, '2:1–3:1': 0, '3:1–4:1': 0, '>4:1': 1 });
    expect(imageSizesOf(new Stats())).toBeUndefined();
  });
});

describe('packing fill', () => {
  test('tokens over rows × maxTokens, every row; shown with two decimals', () => {
    expect(packingFill(3 * 8192 + 4096, 4, 8192)).toBe(0.875);
    expect(packingFill(0, 0, 8192)).toBe(0);
    expect(formatFill(0.95791015625)).toBe('95.79 %');
  });
});
