/**
 * Decoding through the CPU backend: every format sharp can read, orientation, colour models, alpha — and
 * the limits that turn bombs, truncated files and non-images into rejects (MediaError), never crashes.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { cpuBackend, decodeRgb } from '../../src/compute/cpu.js';
import { MediaError } from '../../src/media/errors.js';
import { pngBomb } from '../helpers/media.js';

const photo = readFileSync('sample-data/images/board.jpg');
const opts = { minTiles: 1, maxTiles: 12, tileSize: 448, encoding: 'jpeg' as const, quality: 95, maxBytes: 50e6, maxPixels: 100e6 };
const backend = cpuBackend();
const reasonOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: MediaError) => (e instanceof MediaError ? e.reason : `not a MediaError: ${e}`));
const small = () => sharp(photo).resize(160, 120);

describe('decode: formats', () => {
  const formats: Record<string, Buffer> = {};
  beforeAll(async () => {
    formats.jpeg = await small().jpeg().toBuffer();
    formats.png = await small().png().toBuffer();
    formats.webp = await small().webp().toBuffer();
    formats.gif = await small().gif().toBuffer();
    formats.tiff = await small().tiff().toBuffer();
    formats.avif = await small().avif({ effort: 0 }).toBuffer();
  });

  test.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'])('%s → tiles', async (f) => {
    const t = await backend.tileImage(formats[f], opts);
    expect(t.grid).toEqual({ cols: 4, rows: 3, thumbnail: true });
    expect(t.tiles).toHaveLength(13);
    const m = await sharp(t.tiles[0]).metadata();
    expect([m.format, m.width, m.height, m.channels]).toEqual(['jpeg', 448, 448, 3]);
  });

  test('an animated GIF gives its first frame', async () => {
    const frames = await Promise.all([[255, 0, 0], [0, 0, 255]].map((c) => sharp({ create: { width: 64, height: 64, channels: 3, background: { r: c[0], g: c[1], b: c[2] } } }).raw().toBuffer()));
    const gif = await sharp(Buffer.concat(frames), { raw: { width: 64, height: 128, channels: 3, pageHeight: 64 } }).gif().toBuffer();
    const img = await decodeRgb(gif, opts);
    expect([img.width, img.height]).toEqual([64, 64]);
    expect([...img.data.subarray(0, 3)].map((v) => Math.round(v / 8))).toEqual([32, 0, 0]);
  });
});

describe('decode: colour models, orientation, alpha', () => {
  test('grey, palette, 16-bit, CMYK all become 8-bit RGB', async () => {
    const grey = await small().greyscale().png().toBuffer();
    const palette = await small().png({ palette: true, colours: 16 }).toBuffer();
    const deep = await small().toColourspace('rgb16').png().toBuffer();
    const cmyk = await small().toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    for (const b of [grey, palette, deep, cmyk]) {
      const img = await decodeRgb(b, opts);
      expect([img.width, img.height, img.data.length]).toEqual([160, 120, 160 * 120 * 3]);
    }
    const g = await decodeRgb(grey, opts);
    expect(g.data[0]).toBe(g.data[1]);
  });

  test('EXIF orientation is applied (orientation 6 = rotate 90°: a landscape image comes out portrait)', async () => {
    const rotated = await sharp(photo).resize(200, 100).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const img = await decodeRgb(rotated, opts);
    expect([img.width, img.height]).toEqual([100, 200]);
  });

  test('alpha is composited on white', async () => {
    const transparent = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const img = await decodeRgb(transparent, opts);
    expect([...img.data.subarray(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
  });
});

describe('decode: bad input is a reject with a reason', () => {
  test('zero bytes, not an image, truncated, too many bytes', async () => {
    expect(await reasonOf(backend.tileImage(new Uint8Array(0), opts))).toBe('image.empty');
    expect(await reasonOf(backend.tileImage(Buffer.from('<html>not a picture</html>'), opts))).toBe('image.decode');
    const truncated = photo.subarray(0, Math.floor(photo.length / 3));
    // Always the same reason for the same bytes (test/compute/truncated.test.ts tries many cuts, concurrently).
    expect(await reasonOf(backend.tileImage(truncated, opts))).toBe('image.truncated');
    expect(await reasonOf(backend.tileImage(photo, { ...opts, maxBytes: 1000 }))).toBe('image.too_large');
  });

  test('a 20 000 × 20 000 bomb is refused from its header, fast and without the memory', async () => {
    const bomb = pngBomb(20_000, 20_000);
    expect(bomb.length).toBeLessThan(2000);
    const t0 = Date.now();
    const before = process.memoryUsage().rss;
    expect(await reasonOf(backend.tileImage(bomb, opts))).toBe('image.too_many_pixels');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(process.memoryUsage().rss - before).toBeLessThan(200e6);
  });

  test('PNG and raw tile encodings; JPEG quality is honoured', async () => {
    const png = await backend.tileImage(await small().png().toBuffer(), { ...opts, encoding: 'png' });
    expect((await sharp(png.tiles[0]).metadata()).format).toBe('png');
    const raw = await backend.tileImage(await small().png().toBuffer(), { ...opts, encoding: 'raw' });
    expect(raw.tiles[0].length).toBe(448 * 448 * 3);
    const jpgLow = await backend.tileImage(photo, { ...opts, quality: 50 });
    const jpgHigh = await backend.tileImage(photo, opts);
    expect(jpgLow.tiles[0].length).toBeLessThan(jpgHigh.tiles[0].length);
  });
});
