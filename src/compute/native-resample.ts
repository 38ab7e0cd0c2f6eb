/**
 * The native resize kernels (native/resample.c: AVX2 or AVX-512BW), built into `dist/native/` by
 * `npm run build:native` (part of `npm run build`, so of `npm ci` in a checkout) where a C compiler exists, and
 * called through koffi. Optional: where the library is missing or does not load, or the CPU has neither AVX2 nor
 * AVX-512BW, the WebAssembly kernels run instead — the same bytes (all are Pillow's arithmetic exactly;
 * test/compute/resample.test.ts compares each with PIL). Why (docs/decisions.md): the resize is the largest
 * part of a caption run's CPU time, and WebAssembly's 128-bit lanes are a quarter of AVX-512's.
 *
 * `SHARDLOOM_RESIZE=wasm | avx2 | avx512bw` picks the kernels (default: the widest this CPU runs).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShardloomError } from '../core/errors.js';

export type ResizeKernel = 'wasm-simd128' | 'avx2' | 'avx512bw';
export type NativeKernel = Exclude<ResizeKernel, 'wasm-simd128'>;

export interface NativeResample {
  /** Where the library was loaded from. */
  readonly library: string;
  /** The kernels this CPU runs, widest first. */
  readonly kernels: readonly NativeKernel[];
  /** The SHA-256 of the resample.c it was built from. */
  readonly sourceHash: string;
  horizontal(level: number, mem: Uint8Array, src: number, w: number, rows: number, scratch: number, pairs: number, nout: number, desc: number): number;
  coefficients(mem: Uint8Array, inSize: number, outSize: number, ksize: number, bounds: number, kh: number, kl: number): number;
  vertical(level: number, mem: Uint8Array, src: number, stride: number, dst: number, oh: number, bounds: number, kh: number, kl: number, psize: number, yoff: number): number;
}

export const LEVEL: Record<NativeKernel, number> = { avx2: 256, avx512bw: 512 };

/**
 * Where `npm run build:native` puts the library: `dist/native/` of the package this module belongs to (found
 * by its package.json, so the same from src/, dist/ and the benchmarks' dist-bench/).
 */
export function nativeLibraryPath(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6 && !existsSync(join(d, 'package.json')); up++) d = dirname(d);
  return join(d, 'dist', 'native', 'libshardloom-resample.so');
}

let cached: { lib: NativeResample | null; reason: string } | undefined;

/** The native kernels, or null with the reason they cannot be used. Loaded once per process (per thread). */
export function loadNativeResample(path = nativeLibraryPath()): { lib: NativeResample | null; reason: string } {
  if (cached) return cached;
  if (process.arch !== 'x64') return (cached = { lib: null, reason: `the native kernels are x86-64 only (this is ${process.arch})` });
  if (!existsSync(path)) return (cached = { lib: null, reason: `${path} is not built (npm run build:native; it needs a C compiler)` });
  try {
    // Loaded here, not imported: a platform without koffi's prebuilt binary still runs, with WebAssembly.
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const lib = koffi.load(path);
    const level = Number(lib.func('int sl_resample_level()')());
    const kernels: NativeKernel[] = level >= 512 ? ['avx512bw', 'avx2'] : level >= 256 ? ['avx2'] : [];
    if (!kernels.length) return (cached = { lib: null, reason: 'this CPU has neither AVX2 nor AVX-512BW' });
    return (cached = {
      reason: '',
      lib: {
        library: path,
        kernels,
        sourceHash: String(lib.func('const char* sl_source_hash()')()),
        horizontal: lib.func('int sl_horizontal(int level, uint8_t* mem, int64_t src, int w, int rows, int64_t scratch, int64_t pairs, int nout, int64_t desc)'),
        coefficients: lib.func('int sl_coefficients(uint8_t* mem, int inSize, int outSize, int ksize, int64_t bounds, int64_t kh, int64_t kl)'),
        vertical: lib.func('int sl_vertical(int level, uint8_t* mem, int64_t src, int stride, int64_t dst, int oh, int64_t bounds, int64_t kh, int64_t kl, int psize, int yoff)'),
      },
    });
  } catch (e) {
    return (cached = { lib: null, reason: `${path} does not load: ${(e as Error).message.split('\n')[0]}` });
  }
}

/**
 * The kernels resizing uses in this process: `SHARDLOOM_RESIZE` when set and runnable here, else the widest
 * native kernels, else WebAssembly; with the reason when it is not the widest native one.
 */
export function defaultResizeKernel(env: NodeJS.ProcessEnv = process.env): { kernel: ResizeKernel; reason: string } {
  const want = env.SHARDLOOM_RESIZE?.trim();
  if (want && !['wasm', 'wasm-simd128', 'avx2', 'avx512bw'].includes(want)) {
    throw new ShardloomError('USAGE', `SHARDLOOM_RESIZE=${want} in the environment: expected wasm, avx2 or avx512bw (or unset: the widest this CPU runs)`);
  }
  if (want === 'wasm' || want === 'wasm-simd128') return { kernel: 'wasm-simd128', reason: `SHARDLOOM_RESIZE=${want}` };
  const { lib, reason } = loadNativeResample();
  if (!lib) return { kernel: 'wasm-simd128', reason };
  if (want && !lib.kernels.includes(want as NativeKernel)) return { kernel: lib.kernels[0], reason: `SHARDLOOM_RESIZE=${want}, but this CPU runs only ${lib.kernels.join(', ')}` };
  return { kernel: (want as NativeKernel | undefined) ?? lib.kernels[0], reason: '' };
}

/** For the run log: which kernels resize, and why not the native ones where they are not. */
export function describeResizeKernel(env: NodeJS.ProcessEnv = process.env): string {
  const { kernel, reason } = defaultResizeKernel(env);
  if (kernel === 'wasm-simd128') return `WebAssembly SIMD (${reason})`;
  return `native ${kernel === 'avx512bw' ? 'AVX-512BW' : 'AVX2'}${reason ? ` (${reason})` : ''}`;
}

/** For tests: forget the loaded library. */
export function resetNativeResample(): void {
  cached = undefined;
}
