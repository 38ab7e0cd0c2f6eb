/**
 * Pixels: our tiles (raw RGB, before encoding) against the reference rules run with PIL on real photos —
 * the same grid and tile count, and every tile bit-identical (our resize is Pillow's algorithm for every
 * size, enlarging or shrinking).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { cpuBackend, rawTiles } from '../../src/compute/cpu.js';
import { tempDir, PYTHON } from '../helpers/tmp.js';
import { psnr } from '../helpers/media.js';

const dir = tempDir();
const opts = { minTiles: 1, maxTiles: 12, tileSize: 448, encoding: 'raw' as const, quality: 95, maxBytes: 50e6, maxPixels: 1e9 };


const images: string[] = [];
beforeAll(async () => {
  // Real photos and crops / rescales of them at awkward sizes and aspect ratios (PNG: lossless inputs).
  const photos = ['sample-data/images/board.jpg', 'sample-data/images/verify.jpg'];
  images.push(...photos);
  const variants: [string, (s: Sharp) => Sharp][] = [
    ['tall', (s) => s.extract({ left: 300, top: 0, width: 150, height: 477 })],
    ['wide', (s) => s.extract({ left: 0, top: 200, width: 720, height: 90 })],
    ['big', (s) => s.resize(2900, 1921, { kernel: 'lanczos3' })],
    ['tiny', (s) => s.resize(97, 61)],
    ['mixed', (s) => s.resize(900, 400, { fit: 'fill' })], // grid 2×1: x shrinks, y grows
  ];
  for (const [name, f] of variants) {
    const p = join(dir, `${name}.png`);
    await f(sharp(photos[0])).png().toFile(p);
    images.push(p);
  }
});

describe('tiles agree with the PIL reference implementation', () => {
  test('same grids; every tile bit-identical to PIL — enlarged or shrunk, in the calling thread and on tiling threads', async () => {
    const out = join(dir, 'pil');
    mkdirSync(out, { recursive: true });
    const lines = execFileSync(PYTHON, ['bench/internvl_ref.py', 'tiles', out, '12', ...images], { encoding: 'utf8' }).trim().split('\n');
    const threaded = cpuBackend({ threads: 2 });
    let n = 0;
    const report: string[] = [];
    try {
      for (const [i, path] of images.entries()) {
        const bytes = readFileSync(path);
        const ours = await rawTiles(bytes, opts);
        const [cols, rows, count] = lines[i].split(' ').map(Number);
        expect([ours.grid.cols, ours.grid.rows, ours.tiles.length], path).toEqual([cols, rows, count]);
        const ps = ours.tiles.map((t) => psnr(t, readFileSync(join(out, `${n++}.rgb`))));
        const { width = 0, height = 0 } = await sharp(path).metadata();
        report.push(`${path.split('/').pop()} (${width}×${height}): ${cols}×${rows}${count > cols * rows ? '+thumb' : ''}, PSNR ${ps.map((p) => (p === Infinity ? '∞' : p.toFixed(1))).join(' ')}`);
        expect(ps, path).toEqual(ps.map(() => Infinity));
        // On a tiling thread a JPEG is decoded by libjpeg-turbo instead of libvips: the same pixels.
        const t = await threaded.tileImage(bytes, opts);
        expect(t.tiles.every((x, k) => Buffer.from(x).equals(ours.tiles[k])), path).toBe(true);
      }
    } finally {
      await threaded.close();
    }
    writeFileSync(join(dir, 'psnr.txt'), report.join('\n'));
  });
});
