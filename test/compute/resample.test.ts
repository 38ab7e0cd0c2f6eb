/**
 * The WebAssembly bicubic resampler: bit-identical to Pillow's Image.resize(BICUBIC) on a table of sizes
 * (enlarging, shrinking, one axis each way, unchanged axes, 1-pixel images, extreme aspect ratios), several
 * sizes from one copy, the memory it keeps, its errors, and the committed module matching its source.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Resampler, resizeBicubicRgb, coefficients } from '../../src/compute/resample.js';
import { RESAMPLE_WASM } from '../../src/compute/wasm/resample.wasm.js';
import { tempDir, PYTHON } from '../helpers/tmp.js';

const dir = tempDir();

// [source w, h, target w, h]
const CASES: [number, number, number, number][] = [
  [720, 477, 1344, 896], // enlarge both (a 3×2 grid)
  [2400, 1600, 1792, 1344], // shrink both
  [1000, 700, 448, 448], // thumbnail
  [900, 300, 1344, 448], // x up, y up
  [900, 400, 896, 448], // x shrinks, y grows
  [300, 1000, 448, 896], // x grows, y shrinks
  [448, 1000, 448, 896], // x unchanged
  [1234, 567, 1234, 890], // x unchanged, y grows
  [500, 448, 1344, 448], // y unchanged
  [448, 448, 448, 448], // nothing to do
  [1, 1, 448, 896],
  [3, 5, 448, 448],
  [17, 2000, 448, 448],
  [5000, 7, 448, 448],
  [1, 999, 448, 5376],
  [449, 447, 448, 448],
  [97, 61, 1344, 896],
  [900, 4, 1344, 4], // the four-row horizontal pass alone, once
  [7, 8, 448, 8], // … twice, on a 7-pixel row
];

// Noise and hard edges (every value 0 or 255, or uniform random): the negative lobes push sums past both ends,
// so the clipping and the split-coefficient arithmetic are exercised where a photo rarely goes.
const NOISE: [number, number, number, number][] = [
  [640, 480, 1344, 896],
  [3000, 50, 448, 448],
  [33, 29, 448, 896],
  [2401, 1601, 1792, 1344],
];

let photo: Buffer;
const pil = new Map<string, Buffer>();

beforeAll(async () => {
  // Source pixels: a real photo squashed to each source size (PNG-free: raw RGB files for PIL).
  const script = ['import sys', 'from PIL import Image'];
  for (const [i, [w, h, ow, oh]] of CASES.entries()) {
    const { data } = await sharp('sample-data/images/board.jpg').resize(w, h, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    writeFileSync(join(dir, `${i}.in`), data);
    script.push(`Image.frombytes('RGB', (${w}, ${h}), open('${dir}/${i}.in', 'rb').read()).resize((${ow}, ${oh}), Image.BICUBIC).save('${dir}/${i}.ppm')`);
  }
  for (const [i, [w, h, ow, oh]] of NOISE.entries()) {
    const data = Buffer.alloc(w * h * 3);
    let seed = 12345 + i;
    for (let k = 0; k < data.length; k++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[k] = i % 2 === 0 ? ((seed >>> 16) & 1) * 255 : (seed >>> 16) & 255;
    }
    writeFileSync(join(dir, `n${i}.in`), data);
    script.push(`Image.frombytes('RGB', (${w}, ${h}), open('${dir}/n${i}.in', 'rb').read()).resize((${ow}, ${oh}), Image.BICUBIC).save('${dir}/n${i}.ppm')`);
  }
  execFileSync(PYTHON, ['-c', script.join('\n')]);
  for (const i of [...CASES.keys(), ...[...NOISE.keys()].map((k) => `n${k}`)]) {
    const ppm = readFileSync(join(dir, `${i}.ppm`));
    // P6\n<w> <h>\n255\n<data>: skip three header lines.
    let at = 0;
    for (let nl = 0; nl < 3; at++) if (ppm[at] === 0x0a) nl++;
    pil.set(String(i), ppm.subarray(at));
  }
  photo = readFileSync(join(dir, '0.in'));
});

describe('bicubic resize, Pillow bit for bit', () => {
  test.each(CASES.map((c, i) => [i, ...c]))('case %i: %i×%i → %i×%i', (i, w, h, ow, oh) => {
    const src = readFileSync(join(dir, `${i}.in`));
    const ours = resizeBicubicRgb(src, w, h, ow, oh);
    const ref = pil.get(String(i))!;
    expect(ours.length).toBe(ow * oh * 3);
    let differing = 0;
    for (let k = 0; k < ref.length; k++) if (ours[k] !== ref[k]) differing++;
    expect(differing).toBe(0);
  });

  test.each(NOISE.map((c, i) => [i, ...c]))('noise %i: %i×%i → %i×%i', (i, w, h, ow, oh) => {
    const ours = resizeBicubicRgb(readFileSync(join(dir, `n${i}.in`)), w, h, ow, oh);
    const ref = pil.get(`n${i}`)!;
    expect(ours.length).toBe(ref.length);
    let differing = 0, clipped = 0;
    for (let k = 0; k < ref.length; k++) {
      if (ours[k] !== ref[k]) differing++;
      if (ref[k] === 0 || ref[k] === 255) clipped++;
    }
    expect(differing).toBe(0);
    if (i % 2 === 0) expect(clipped).toBeGreaterThan(0); // the clipping was reached
  });

  test('several sizes from one copy equal separate calls; views live until the next call', () => {
    const r = new Resampler();
    const [grid, thumb, same] = r.resize(photo, 720, 477, [{ width: 1344, height: 896 }, { width: 448, height: 448 }, { width: 720, height: 477 }]);
    expect(Buffer.compare(Buffer.from(grid), resizeBicubicRgb(photo, 720, 477, 1344, 896))).toBe(0);
    expect(Buffer.compare(Buffer.from(thumb), resizeBicubicRgb(photo, 720, 477, 448, 448))).toBe(0);
    expect(Buffer.compare(Buffer.from(same), photo)).toBe(0);
    const kept = Buffer.from(grid);
    r.resize(Buffer.alloc(720 * 477 * 3, 7), 720, 477, [{ width: 1344, height: 896 }]);
    expect(Buffer.compare(Buffer.from(grid), kept)).not.toBe(0); // reused memory: callers must not keep views
  });

  test('memory above 256 MiB is not kept for the next image', () => {
    const r = new Resampler();
    // 8000×4000 → 8000×8000: source 96 MB + output 192 MB.
    const big = Buffer.alloc(8000 * 4000 * 3, 100);
    const [out] = r.resize(big, 8000, 4000, [{ width: 8000, height: 8000 }]);
    expect(out[0]).toBe(100);
    expect(out.buffer.byteLength).toBeGreaterThan(256 * 1024 * 1024);
    const [small] = r.resize(photo, 720, 477, [{ width: 448, height: 448 }]);
    expect(small.buffer.byteLength).toBeLessThan(16 * 1024 * 1024);
  });

  test('bad sizes are errors, not garbage', () => {
    const r = new Resampler();
    expect(() => r.resize(photo, 0, 477, [{ width: 448, height: 448 }])).toThrow(/must be positive/);
    expect(() => r.resize(photo, 720, 477, [{ width: 448, height: 0 }])).toThrow(/must be positive/);
    expect(() => r.resize(photo.subarray(0, 100), 720, 477, [{ width: 448, height: 448 }])).toThrow(/100 bytes < 720×477×3/);
  });

  test("coefficients: Pillow's support and normalisation", () => {
    const up = coefficients(720, 1344); // enlarging: support 2, 5 taps
    expect(up.ksize).toBe(5);
    const down = coefficients(2400, 448); // shrinking 5.36×: support 10.7, 23 taps
    expect(down.ksize).toBe(23);
    for (const c of [up, down]) {
      for (let x = 0; x < c.bounds.length / 2; x++) {
        let sum = 0;
        for (let k = 0; k < c.bounds[2 * x + 1]; k++) sum += c.kk[x * c.ksize + k];
        expect(Math.abs(sum - (1 << 22))).toBeLessThanOrEqual(c.ksize); // each rounded to 22 bits
      }
    }
  });
});

test('the committed WebAssembly is what resample.as.ts compiles to (npm run build:wasm)', async () => {
  // @ts-expect-error — a plain ESM build script without types
  const { compileResample } = await import('../../src/compute/wasm/build.mjs');
  const wasm: Buffer = await compileResample();
  expect(wasm.toString('base64')).toBe(RESAMPLE_WASM);
}, 60_000);
