/**
 * Pixels on tiling threads (compute/threads.ts): the same bytes and the same reject reasons as tiling in the
 * calling thread, for every JPEG variant the direct libjpeg-turbo decoder takes or passes on to libvips
 * (progressive, 4:4:4, grey; EXIF-rotated, ICC-tagged, CMYK go the libvips way) and other
 * formats; results in order; a thread that dies fails only its own items and is replaced.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { cpuBackend } from '../../src/compute/cpu.js';
import { tilingThreads } from '../../src/compute/threads.js';
import { jpegTraits } from '../../src/compute/jpeg-info.js';
import { loadTurboJpeg } from '../../src/compute/turbojpeg.js';
import type { ItemResult } from '../../src/compute/types.js';
import type { TiledImage } from '../../src/core/model.js';

const photo = readFileSync('sample-data/images/board.jpg');
const opts = { minTiles: 1, maxTiles: 12, tileSize: 448, encoding: 'jpeg' as const, quality: 95, maxBytes: 50e6, maxPixels: 100e6 };
const local = cpuBackend();
const threaded = cpuBackend({ threads: 2 });
afterAll(() => threaded.close());

const variants: Record<string, Buffer> = {};
beforeAll(async () => {
  const base = () => sharp(photo).resize(900, 500);
  variants.baseline = await base().jpeg({ quality: 90 }).toBuffer();
  variants.shrunk = await sharp(photo).resize(2400, 700).jpeg({ quality: 85 }).toBuffer(); // grid smaller than the image
  variants.progressive = await base().jpeg({ progressive: true }).toBuffer();
  variants.s444 = await base().jpeg({ chromaSubsampling: '4:4:4' }).toBuffer();
  variants.grey = await base().greyscale().jpeg().toBuffer();
  variants.rotated = await base().jpeg().withMetadata({ orientation: 6 }).toBuffer();
  variants.icc = await base().withIccProfile('p3').jpeg().toBuffer();
  variants.cmyk = await base().toColourspace('cmyk').jpeg().toBuffer();
  variants.png = await base().png().toBuffer();
  variants.webp = await base().webp().toBuffer();
  variants.truncated = variants.baseline.subarray(0, variants.baseline.length >> 1);
  variants.garbage = Buffer.from('not an image at all');
  variants.tiny = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#808080' } }).jpeg().toBuffer();
});

const outcome = (r: ItemResult<TiledImage>) => (r.ok ? { grid: r.value.grid, tiles: r.value.tiles.map((t) => Buffer.from(t).toString('base64')) } : { reason: r.error.reason });

describe('tiling threads', () => {
  test('the same tiles and reject reasons as tiling in the calling thread, for every JPEG variant and format', async () => {
    const names = Object.keys(variants);
    const jobs = names.map((n) => ({ bytes: variants[n], opts }));
    const [a, b] = await Promise.all([local.tileImages(jobs), threaded.tileImages(jobs)]);
    for (const [i, n] of names.entries()) expect({ n, ...outcome(b[i]) }).toEqual({ n, ...outcome(a[i]) });
    expect(b.filter((r) => r.ok)).toHaveLength(names.length - 2);
    expect(outcome(b[names.indexOf('truncated')])).toEqual({ reason: 'image.truncated' });
  });

  test('raw tiles and video frames too', async () => {
    const raw = { ...opts, encoding: 'raw' as const };
    const [a] = await local.tileImages([{ bytes: variants.shrunk, opts: raw }]);
    const [b] = await threaded.tileImages([{ bytes: variants.shrunk, opts: raw }]);
    expect(outcome(b)).toEqual(outcome(a));
    const frame = { data: await sharp(photo).resize(320, 180).raw().toBuffer(), width: 320, height: 180 };
    const fo = { tileSize: 448, encoding: 'jpeg' as const, quality: 90 };
    const [fa] = await local.tileFrames([{ frame, opts: fo }]);
    const [fb] = await threaded.tileFrames([{ frame, opts: fo }]);
    expect(fa.ok && fb.ok && Buffer.from(fb.value).equals(Buffer.from(fa.value))).toBe(true);
  });

  test('many items in flight come back in the order asked, whichever thread finished first', async () => {
    const sizes = Array.from({ length: 24 }, (_, i) => [200 + ((i * 397) % 1500), 150 + ((i * 211) % 900)]);
    const imgs = await Promise.all(sizes.map(([w, h]) => sharp(photo).resize(w, h, { fit: 'fill' }).jpeg().toBuffer()));
    const res = await Promise.all(imgs.map((bytes) => threaded.tileImage(bytes, opts)));
    const want = await Promise.all(imgs.slice(0, 4).map((bytes) => local.tileImage(bytes, opts)));
    for (let i = 0; i < 4; i++) expect(res[i].tiles.map((t) => Buffer.from(t).toString('base64'))).toEqual(want[i].tiles.map((t) => Buffer.from(t).toString('base64')));
    for (const [i, r] of res.entries()) {
      const m = await sharp(r.tiles[0]).metadata();
      expect([m.width, m.height]).toEqual([448, 448]);
      expect(r.tiles.length).toBe(r.grid.cols * r.grid.rows + (r.grid.thumbnail ? 1 : 0));
      expect(i).toBe(res.indexOf(r));
    }
  });

  test('a thread that dies fails only its own items (retryable) and is replaced; three deaths in a row make the pool unusable', async () => {
    const crash = Buffer.concat([variants.baseline, Buffer.alloc(7)]);
    const pool = tilingThreads(1, { ...process.env, SHARDLOOM_TEST_TILE_WORKER_EXIT: String(crash.length) });
    try {
      expect((await pool.tileImages([{ bytes: variants.baseline, opts }]))[0].ok).toBe(true);
      const [dead, ok2] = await Promise.all([
        pool.tileImages([{ bytes: crash, opts }]),
        pool.tileImages([{ bytes: variants.grey, opts }]),
      ]);
      expect(dead[0]).toMatchObject({ ok: false, error: { reason: 'compute.worker', retryable: true } });
      // The item queued behind the crash on the same thread failed with it, or ran on the replacement.
      expect(ok2[0].ok || (ok2[0] as { error: { reason: string } }).error.reason === 'compute.worker').toBe(true);
      const after = await pool.tileImages([{ bytes: variants.baseline, opts }]);
      expect(after[0].ok).toBe(true);
      for (let i = 0; i < 3; i++) await pool.tileImages([{ bytes: crash, opts }]);
      await expect(pool.tileImages([{ bytes: variants.baseline, opts }])).rejects.toThrow(/died 3 times in a row/);
    } finally {
      await pool.close();
    }
  });
});

describe('JPEG headers for the direct decoder', () => {
  test('EXIF orientation and ICC profiles are found; plain files have neither', () => {
    expect(jpegTraits(variants.baseline)).toEqual({ orientation: 1, icc: false });
    expect(jpegTraits(variants.rotated)).toMatchObject({ orientation: 6 });
    expect(jpegTraits(variants.icc)).toMatchObject({ icc: true });
    expect(jpegTraits(variants.png)).toBeNull();
    expect(jpegTraits(Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff]))).toBeNull(); // a segment longer than the file
  });

  test.runIf(loadTurboJpeg().lib !== null)('libjpeg-turbo decodes to the same pixels as libvips (PIL\'s settings)', async () => {
    const tj = loadTurboJpeg().lib!;
    for (const n of ['baseline', 'progressive', 's444', 'grey', 'shrunk']) {
      const h = tj.header(variants[n]);
      const out = Buffer.alloc(h.width * h.height * 3);
      tj.decodeRgbSync(variants[n], out, h.width, h.height);
      const vips = await sharp(variants[n]).toColourspace('srgb').raw().toBuffer();
      expect({ n, same: out.equals(vips) }).toEqual({ n, same: true });
    }
    expect(() => tj.decodeRgbSync(variants.truncated, Buffer.alloc(900 * 500 * 3), 900, 500)).toThrow(/libturbojpeg/);
  });
});
