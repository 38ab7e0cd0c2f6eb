/**
 * The bicubic resampler, with each set of kernels this machine runs (WebAssembly always; the native AVX2 and
 * AVX-512BW ones where the library is built and the CPU has them): bit-identical to Pillow's
 * Image.resize(BICUBIC) on a table of sizes (enlarging, shrinking, one axis each way, unchanged axes, 1-pixel
 * images, extreme aspect ratios, row counts and widths around the native kernels' 8- and 16-row strips and
 * 16-pixel blocks), several sizes from one copy, the memory it keeps, its errors; the committed module matching
 * its source, the native library matching its source, and the fallback when there is none.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createHash } from 'node:crypto';
import { Resampler, axis, coefficients, pairCoefficients } from '../../src/compute/resample.js';
import { defaultResizeKernel, describeResizeKernel, loadNativeResample, resetNativeResample, type ResizeKernel } from '../../src/compute/native-resample.js';
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
  [37, 33, 45, 17], // strips of 8 and 16 rows with one left over; a 13-pixel last block out
  [250, 15, 17, 31], // fewer rows than one 16-row strip; 17 pixels out: a one-pixel last block
  [33, 47, 16, 16], // blocks of 16 exactly out; 33 in: a one-pixel last block in
  [1000, 24, 8, 24], // x only, 8 pixels out: one whole AVX2 block, half an AVX-512 one
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

const native = loadNativeResample();
const KERNELS: ResizeKernel[] = ['wasm-simd128', ...(native.lib?.kernels ?? [])];

describe.each(KERNELS)('bicubic resize with the %s kernels, Pillow bit for bit', (kernel) => {
  const resizeBicubicRgb = (src: Uint8Array, w: number, h: number, ow: number, oh: number) =>
    Buffer.from(new Resampler(kernel).resize(src, w, h, [{ width: ow, height: oh }])[0]);

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
    const r = new Resampler(kernel);
    const [grid, thumb, same] = r.resize(photo, 720, 477, [{ width: 1344, height: 896 }, { width: 448, height: 448 }, { width: 720, height: 477 }]);
    expect(Buffer.compare(Buffer.from(grid), resizeBicubicRgb(photo, 720, 477, 1344, 896))).toBe(0);
    expect(Buffer.compare(Buffer.from(thumb), resizeBicubicRgb(photo, 720, 477, 448, 448))).toBe(0);
    expect(Buffer.compare(Buffer.from(same), photo)).toBe(0);
    const kept = Buffer.from(grid);
    r.resize(Buffer.alloc(720 * 477 * 3, 7), 720, 477, [{ width: 1344, height: 896 }]);
    expect(Buffer.compare(Buffer.from(grid), kept)).not.toBe(0); // reused memory: callers must not keep views
  });

  test('memory above 256 MiB is not kept for the next image', () => {
    const r = new Resampler(kernel);
    // 8000×4000 → 8000×8000: source 96 MB + output 192 MB.
    const big = Buffer.alloc(8000 * 4000 * 3, 100);
    const [out] = r.resize(big, 8000, 4000, [{ width: 8000, height: 8000 }]);
    expect(out[0]).toBe(100);
    expect(out.buffer.byteLength).toBeGreaterThan(256 * 1024 * 1024);
    const [small] = r.resize(photo, 720, 477, [{ width: 448, height: 448 }]);
    expect(small.buffer.byteLength).toBeLessThan(16 * 1024 * 1024);
  });

  test('bad sizes are errors, not garbage', () => {
    const r = new Resampler(kernel);
    expect(() => r.resize(photo, 0, 477, [{ width: 448, height: 448 }])).toThrow(/must be positive/);
    expect(() => r.resize(photo, 720, 477, [{ width: 448, height: 0 }])).toThrow(/must be positive/);
    expect(() => r.resize(photo.subarray(0, 100), 720, 477, [{ width: 448, height: 448 }])).toThrow(/100 bytes < 720×477×3/);
  });
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

test('the committed WebAssembly is what resample.as.ts compiles to (npm run build:wasm)', async () => {
  // @ts-expect-error — a plain ESM build script without types
  const { compileResample } = await import('../../src/compute/wasm/build.mjs');
  const wasm: Buffer = await compileResample();
  expect(wasm.toString('base64')).toBe(RESAMPLE_WASM);
}, 60_000);

describe('the native kernels', () => {
  test.skipIf(!native.lib)(`the library is built from this resample.c (npm run build:native)${native.lib ? '' : ` — not here: ${native.reason}`}`, () => {
    const source = createHash('sha256').update(readFileSync('src/compute/native/resample.c')).digest('hex');
    expect(native.lib!.sourceHash).toBe(source);
  });

  test.skipIf(!native.lib)("its coefficients are the JavaScript ones (Pillow's doubles) for 6 000 size pairs", () => {
    const lib = native.lib!;
    let compared = 0;
    for (let inSize = 1; inSize < 3000; inSize += 7) {
      for (const outSize of [1, 7, 448, 449, 896, 1344, 1792, 2240, 5376, inSize + 1, Math.max(1, inSize >> 1), Math.max(1, Math.round(inSize / 5.37))]) {
        const js = coefficients(inSize, outSize);
        const pairs = pairCoefficients(js);
        const { ksize, psize, first, end } = axis(inSize, outSize);
        expect([ksize, psize, first, end]).toEqual([js.ksize, pairs.psize, js.bounds[0], js.bounds[2 * outSize - 2] + js.bounds[2 * outSize - 1]]);
        const n = outSize * psize * 4;
        const mem = Buffer.alloc(outSize * 8 + 2 * n);
        expect(lib.coefficients(mem, inSize, outSize, ksize, 0, outSize * 8, outSize * 8 + n)).toBe(0);
        expect(mem.subarray(0, outSize * 8).equals(Buffer.from(js.bounds.buffer))).toBe(true);
        expect(mem.subarray(outSize * 8, outSize * 8 + n).equals(Buffer.from(pairs.kh.buffer))).toBe(true);
        expect(mem.subarray(outSize * 8 + n).equals(Buffer.from(pairs.kl.buffer))).toBe(true);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5000);
    expect(lib.coefficients(Buffer.alloc(64), 100, 10, 3, 0, 0, 0)).toBe(-1); // a ksize other than Pillow's
  });

  test.skipIf(!native.lib)('the library refuses what it cannot do, with a code (never a crash)', () => {
    const lib = native.lib!;
    const mem = Buffer.alloc(4096);
    expect(lib.horizontal(999, mem, 0, 1, 1, 0, 0, 0, 0)).toBe(-1); // no such level
    expect(lib.vertical(999, mem, 0, 3, 0, 0, 0, 0, 0, 1, 0)).toBe(-1);
    expect(lib.horizontal(256, mem, 0, 1, 1, 0, 0, 9, 0)).toBe(-2); // more than 8 outputs at once
  });

  test('without the library the WebAssembly kernels run, and the log says why', () => {
    resetNativeResample();
    try {
      const none = loadNativeResample(join(dir, 'no-such-library.so'));
      expect(none.lib).toBeNull();
      expect(none.reason).toMatch(/no-such-library\.so is not built \(npm run build:native; it needs a C compiler\)/);
      expect(defaultResizeKernel({})).toEqual({ kernel: 'wasm-simd128', reason: none.reason });
      expect(describeResizeKernel({})).toBe(`WebAssembly SIMD (${none.reason})`);
      expect(new Resampler().kernel).toBe('wasm-simd128');
    } finally {
      resetNativeResample();
    }
  });

  test('a file that is not a library: WebAssembly, with the loader\'s reason', () => {
    resetNativeResample();
    try {
      const junk = join(dir, 'junk.so');
      writeFileSync(junk, 'not an ELF file');
      const r = loadNativeResample(junk);
      expect(r.lib).toBeNull();
      expect(r.reason).toMatch(/junk\.so does not load: /);
    } finally {
      resetNativeResample();
    }
  });

  test('SHARDLOOM_RESIZE picks the kernels; a bad value is a usage error naming it', () => {
    expect(defaultResizeKernel({ SHARDLOOM_RESIZE: 'wasm' })).toEqual({ kernel: 'wasm-simd128', reason: 'SHARDLOOM_RESIZE=wasm' });
    expect(() => defaultResizeKernel({ SHARDLOOM_RESIZE: 'avx9000' })).toThrow(/SHARDLOOM_RESIZE=avx9000 in the environment: expected wasm, avx2 or avx512bw/);
    if (native.lib) {
      expect(defaultResizeKernel({})).toEqual({ kernel: native.lib.kernels[0], reason: '' });
      expect(defaultResizeKernel({ SHARDLOOM_RESIZE: 'avx2' })).toEqual({ kernel: 'avx2', reason: '' });
      expect(describeResizeKernel({ SHARDLOOM_RESIZE: 'avx2' })).toBe('native AVX2');
      if (!native.lib.kernels.includes('avx512bw')) expect(defaultResizeKernel({ SHARDLOOM_RESIZE: 'avx512bw' }).reason).toMatch(/this CPU runs only avx2/);
    }
  });

  test('asking for kernels this CPU or build cannot run is an error, not a crash', () => {
    expect(() => new Resampler('avx9000' as ResizeKernel).resize(Buffer.alloc(12), 2, 2, [{ width: 3, height: 3 }])).toThrow(/resize kernels avx9000: not runnable here/);
  });
});

describe('npm run build:native', () => {
  const script = join(process.cwd(), 'scripts', 'build-native.mjs');
  const hasCc = execFileSync('sh', ['-c', 'command -v "${CC:-cc}" || true'], { encoding: 'utf8' }).trim() !== '';

  test('without a C compiler it says so, exits 0 and leaves no library behind (WebAssembly then)', () => {
    const out = join(dir, 'no-cc');
    const r = spawnSync(process.execPath, [script, '--out', out], { encoding: 'utf8', env: { ...process.env, CC: join(dir, 'no-such-cc') } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/build:native: skipped — no C compiler \(.*no-such-cc: ENOENT\); resizing will use the WebAssembly kernels/);
    expect(existsSync(join(out, 'libshardloom-resample.so'))).toBe(false);
  });

  test('a compiler that fails: the same, and an older library is removed rather than left to load', () => {
    const out = join(dir, 'bad-cc');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'libshardloom-resample.so'), 'an older build');
    const r = spawnSync(process.execPath, [script, '--out', out], { encoding: 'utf8', env: { ...process.env, CC: 'false' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/build:native: skipped — false failed \(exit 1\)/);
    expect(existsSync(join(out, 'libshardloom-resample.so'))).toBe(false);
  });

  test.skipIf(process.arch !== 'x64' || !hasCc)('with a compiler: a library that loads and names its source', () => {
    const out = join(dir, 'built');
    const r = spawnSync(process.execPath, [script, '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lib = join(out, 'libshardloom-resample.so');
    resetNativeResample();
    try {
      const loaded = loadNativeResample(lib);
      // It loads; only a CPU without AVX2 refuses it (and says so).
      if (!loaded.lib) expect(loaded.reason).toBe('this CPU has neither AVX2 nor AVX-512BW');
      else expect(loaded.lib.sourceHash).toBe(createHash('sha256').update(readFileSync('src/compute/native/resample.c')).digest('hex'));
    } finally {
      resetNativeResample();
    }
  }, 60_000);
});
