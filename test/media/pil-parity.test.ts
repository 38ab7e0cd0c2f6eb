/**
 * Pixels: our tiles (raw RGB, before encoding) against the reference rules run with PIL on real photos —
 * the same grid and tile count, bit-identical tiles where our resize is Pillow's algorithm, and the PSNR of
 * every tile.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { rawTiles } from '../../src/compute/cpu.js';
import { tempDir, PYTHON } from '../helpers/tmp.js';

const dir = tempDir();
const opts = { minTiles: 1, maxTiles: 12, tileSize: 448, encoding: 'raw' as const, quality: 95, maxBytes: 50e6, maxPixels: 1e9 };

export function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

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
  test('same grids; tiles bit-identical wherever the resize enlarges, every tile ≥ 35 dB PSNR', async () => {
    const out = join(dir, 'pil');
    mkdirSync(out, { recursive: true });
    const lines = execFileSync(PYTHON, ['bench/internvl_ref.py', 'tiles', out, '12', ...images], { encoding: 'utf8' }).trim().split('\n');
    let n = 0;
    const report: string[] = [];
    let worst = Infinity;
    let identical = 0;
    for (const [i, path] of images.entries()) {
      const ours = await rawTiles(readFileSync(path), opts);
      const [cols, rows, count] = lines[i].split(' ').map(Number);
      expect([ours.grid.cols, ours.grid.rows, ours.tiles.length], path).toEqual([cols, rows, count]);
      const ps = ours.tiles.map((t) => psnr(t, readFileSync(join(out, `${n++}.rgb`))));
      worst = Math.min(worst, ...ps);
      // Pillow's algorithm runs (bit-identical) unless a size shrinks on both axes (libvips, ~55 dB).
      const { width = 0, height = 0 } = await sharp(path).metadata();
      const exact = (w: number, h: number) => !(w <= width && h <= height && (w < width || h < height));
      const expectIdentical = ps.map((_, t) => (t < cols * rows ? exact(cols * 448, rows * 448) : exact(448, 448)));
      expect(ps.map((p, t) => expectIdentical[t] ? p : 'libvips'), path).toEqual(expectIdentical.map((e) => (e ? Infinity : 'libvips')));
      identical += ps.filter((p) => p === Infinity).length;
      const inexact = ps.filter((p) => p !== Infinity);
      report.push(`${path.split('/').pop()} (${width}×${height}): ${cols}×${rows}${count > cols * rows ? '+thumb' : ''}, ${ps.length - inexact.length}/${ps.length} tiles bit-identical${inexact.length ? `, the others min ${Math.min(...inexact).toFixed(1)} dB` : ''}`);
    }
    expect(identical).toBeGreaterThan(n / 2);
    writeFileSync(join(dir, 'psnr.txt'), report.join('\n'));
    console.log(report.join('\n'));
    expect(worst).toBeGreaterThanOrEqual(35);
  });
});
