/**
 * Bicubic resize of packed 8-bit RGB, bit-identical to Pillow's `Image.resize(size, Image.BICUBIC)` — what the
 * InternVL reference calls: Pillow's algorithm (separable passes, coefficients in 22-bit fixed point,
 * horizontal pass first and only over the rows the vertical pass reads) with the two passes in SIMD: native
 * AVX-512BW / AVX2 kernels (./native/resample.c, built by `npm run build:native`, loaded by native-resample.ts)
 * where they are built and the CPU has them, else WebAssembly (./wasm/resample.as.ts, `npm run build:wasm`).
 * Every set gives the same bytes. `npm run bench:resize`: 6–10× Pillow's CPU time native, 3–4× WebAssembly
 * (docs/performance.md). Synchronous.
 */
import { RESAMPLE_WASM } from './wasm/resample.wasm.js';
import { defaultResizeKernel, LEVEL, loadNativeResample, type NativeKernel, type ResizeKernel } from './native-resample.js';

// The WebAssembly API Node provides (TypeScript only declares it with the DOM library).
declare global {
  namespace WebAssembly {
    class Module { constructor(bytes: Uint8Array) }
    class Instance { constructor(module: Module, imports: object); readonly exports: Record<string, unknown> }
    class Memory { readonly buffer: ArrayBuffer; grow(pages: number): number }
  }
}

const PRECISION_BITS = 22;
const KEEP_BYTES = 256 * 1024 * 1024;

/** Pillow's bicubic filter (a = −0.5, support 2). */
function bicubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

export interface Coefficients {
  /** ksize i32 coefficients per output position (zero past `bounds[2i+1]`). */
  kk: Int32Array;
  /** Per output position: first input index, number of inputs. */
  bounds: Int32Array;
  ksize: number;
}

/**
 * The kernels' form of the coefficients: taps in pairs (psize = ⌈ksize / 2⌉ per output position), each
 * coefficient split into c >> 11 (`kh`) and c & 2047 (`kl`), a pair packed in one i32 as two i16 (first tap
 * in the low half) — what `i32x4.dot_i16x8_s` multiplies 16-bit pixel pairs by (wasm/resample.as.ts).
 */
export function pairCoefficients(c: Coefficients): { kh: Int32Array; kl: Int32Array; psize: number } {
  const psize = (c.ksize + 1) >> 1;
  const n = c.bounds.length >> 1;
  const kh = new Int32Array(n * psize);
  const kl = new Int32Array(n * psize);
  for (let o = 0; o < n; o++) {
    for (let j = 0; j < psize; j++) {
      const t = 2 * j;
      const c0 = c.kk[o * c.ksize + t];
      const c1 = t + 1 < c.ksize ? c.kk[o * c.ksize + t + 1] : 0;
      kh[o * psize + j] = ((c1 >> 11) << 16) | ((c0 >> 11) & 0xffff);
      kl[o * psize + j] = ((c1 & 2047) << 16) | (c0 & 2047);
    }
  }
  return { kh, kl, psize };
}

/**
 * What the layout needs of an axis before the coefficients are computed: taps per output position (ksize, and
 * psize tap pairs) and the input range [first, end) the outputs read — Pillow's window formula for the first
 * and the last output position.
 */
export function axis(inSize: number, outSize: number): { ksize: number; psize: number; first: number; end: number } {
  const scale = inSize / outSize;
  const support = 2 * Math.max(scale, 1);
  const ksize = Math.ceil(support) * 2 + 1;
  const window = (xx: number) => {
    const center = (xx + 0.5) * scale;
    return [Math.max(0, Math.trunc(center - support + 0.5)), Math.min(inSize, Math.trunc(center + support + 0.5))];
  };
  return { ksize, psize: (ksize + 1) >> 1, first: window(0)[0], end: window(outSize - 1)[1] };
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the whole input range, in the same doubles. */
export function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Int32Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const pre = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? pre[x] / ww : pre[x];
      kk[xx * ksize + x] = Math.trunc(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { kk, bounds, ksize };
}

/**
 * One output of a horizontal pass: `ow` pixels per row into `dst`, from the source rows [ya, yb) (stored from
 * dst's first row on), with the coefficients at kk / bounds (plain) and kh / kl (split pairs). Offsets in the
 * kernels' memory.
 */
interface HorizontalOut { dst: number; ow: number; kk: number; bounds: number; ksize: number; kh: number; kl: number; psize: number; ya: number; yb: number }

/** The two passes over one memory, in WebAssembly or native code; every pointer a byte offset into `memory`. */
interface Kernels {
  readonly name: ResizeKernel;
  /** The memory, at least `bytes` long (a new view after it grew; its contents are not kept). */
  reserve(bytes: number): Uint8Array;
  readonly size: number;
  /** Pillow's coefficients for inSize → outSize into memory: bounds, and the split tap pairs (kh, kl); kk (the
   *  plain ones, which only the WebAssembly kernels read) where they want them. */
  coefficients(inSize: number, outSize: number, ksize: number, at: { kk: number; bounds: number; kh: number; kl: number }): void;
  /** The horizontal passes of one source (w pixels per row at `src`) into every output. */
  horizontal(src: number, w: number, scratch: number, pairs: number, desc: number, outs: readonly HorizontalOut[]): void;
  vertical(src: number, stride: number, dst: number, oh: number, bounds: number, kh: number, kl: number, psize: number, yoff: number): void;
}

interface WasmExports {
  memory: WebAssembly.Memory;
  horizontal4(src: number, w: number, rows: number, dst: number, ow: number, kk: number, bounds: number, ksize: number, scratch: number, pairs: number, kh: number, kl: number, psize: number): void;
  vertical(src: number, stride: number, dst: number, oh: number, bounds: number, kh: number, kl: number, psize: number, yoff: number): void;
}

let module: WebAssembly.Module | undefined;

function wasmKernels(): Kernels {
  module ??= new WebAssembly.Module(Buffer.from(RESAMPLE_WASM, 'base64'));
  const k = new WebAssembly.Instance(module, {}).exports as unknown as WasmExports;
  return {
    name: 'wasm-simd128',
    get size() { return k.memory.buffer.byteLength; },
    reserve(bytes) {
      const have = k.memory.buffer.byteLength;
      if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
      return new Uint8Array(k.memory.buffer);
    },
    coefficients(inSize, outSize, _ksize, at) {
      const c = coefficients(inSize, outSize);
      const p = pairCoefficients(c);
      const mem = new Uint8Array(k.memory.buffer);
      for (const [a, off] of [[c.kk, at.kk], [c.bounds, at.bounds], [p.kh, at.kh], [p.kl, at.kl]] as const) mem.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    },
    // One pass per output: each over only the rows it wants.
    horizontal: (src, w, scratch, pairs, _desc, outs) => {
      for (const o of outs) k.horizontal4(src + o.ya * w * 3, w, o.yb - o.ya, o.dst, o.ow, o.kk, o.bounds, o.ksize, scratch, pairs, o.kh, o.kl, o.psize);
    },
    vertical: (...a) => k.vertical(...a),
  };
}

function nativeKernels(kernel: NativeKernel): Kernels {
  const lib = loadNativeResample().lib;
  if (!lib || !lib.kernels.includes(kernel)) throw new Error(`resize kernels ${kernel}: not runnable here (${lib ? `this CPU runs ${lib.kernels.join(', ')}` : loadNativeResample().reason})`);
  const level = LEVEL[kernel];
  let mem = Buffer.alloc(0);
  const check = (rc: number) => {
    if (rc !== 0) throw new Error(`native resize kernels ${kernel} refused to run (code ${rc})`);
  };
  return {
    name: kernel,
    get size() { return mem.length; },
    reserve(bytes) {
      if (bytes > mem.length) mem = Buffer.allocUnsafeSlow(Math.ceil(bytes / 65536) * 65536);
      return mem;
    },
    // In C: the same doubles, and no JavaScript to warm up on every tiling thread (≈ 50 ms each, cold).
    coefficients: (inSize, outSize, ksize, at) => check(lib.coefficients(mem, inSize, outSize, ksize, at.bounds, at.kh, at.kl)),
    // One pass for every output (up to 8 per call): the source's strips are transposed once, for the grid
    // and the thumbnail. `desc` has room for 8 descriptors of 8 doubles.
    horizontal: (src, w, scratch, pairs, desc, all) => {
      for (let at = 0; at < all.length; at += 8) {
        const outs = all.slice(at, at + 8);
        const y0 = Math.min(...outs.map((o) => o.ya)), y1 = Math.max(...outs.map((o) => o.yb));
        const d = new Float64Array(mem.buffer, mem.byteOffset + desc, outs.length * 8);
        outs.forEach((o, i) => d.set([o.dst, o.ow, o.bounds, o.kh, o.kl, o.psize, o.ya - y0, o.yb - y0], i * 8));
        check(lib.horizontal(level, mem, src + y0 * w * 3, w, y1 - y0, scratch, pairs, outs.length, desc));
      }
    },
    vertical: (src, stride, dst, oh, bounds, kh, kl, psize, yoff) => check(lib.vertical(level, mem, src, stride, dst, oh, bounds, kh, kl, psize, yoff)),
  };
}

function kernelsFor(kernel: ResizeKernel): Kernels {
  return kernel === 'wasm-simd128' ? wasmKernels() : nativeKernels(kernel);
}

/** Byte offsets of the buffers in the kernels' memory, each 64-aligned with 64 spare bytes after it. */
class Layout {
  end = 0;
  take(bytes: number): number {
    const at = this.end;
    this.end = (at + bytes + 64 + 63) & ~63;
    return at;
  }
}

export interface Size { width: number; height: number }

/**
 * One set of kernels and its memory (a WebAssembly instance's, or a Buffer the native kernels work in). `resize`
 * copies the source in once and computes every requested size from it; the results are views into that
 * memory, valid until the next `resize` — so an image's grid and thumbnail can be encoded straight from there,
 * without a copy. Memory is kept between calls up to KEEP_BYTES; after a larger image it is replaced on the
 * next call.
 */
export class Resampler {
  private k: Kernels | undefined;
  /** Which kernels run the passes (default: defaultResizeKernel — the widest this CPU and build have). */
  readonly kernel: ResizeKernel;

  constructor(kernel?: ResizeKernel) {
    this.kernel = kernel ?? defaultResizeKernel().kernel;
  }

  resize(src: Uint8Array, w: number, h: number, sizes: readonly Size[]): Uint8Array[] {
    if (src.length < w * h * 3) throw new RangeError(`resize: ${src.length} bytes < ${w}×${h}×3`);
    const job = this.prepare(w, h, sizes);
    job.input.set(src.subarray(0, w * h * 3));
    return job.run();
  }

  /**
   * `resize` in two steps, for a decoder that writes the source straight into the instance's memory:
   * `input` is where the w×h packed RGB source goes; `run()` then computes the sizes (views, as `resize`).
   * `input` stays valid until the next `prepare` / `resize`.
   */
  prepare(w: number, h: number, sizes: readonly Size[]): { input: Uint8Array; run(): Uint8Array[] } {
    if (!(w > 0 && h > 0)) throw new RangeError(`resize: source size ${w}×${h} must be positive`);
    for (const s of sizes) if (!(s.width > 0 && s.height > 0)) throw new RangeError(`resize ${w}×${h} → ${s.width}×${s.height}: sizes must be positive`);
    const L = new Layout();
    const srcAt = L.take(w * h * 3);
    // A strip of rows interleaved, for the horizontal pass, and as 16-bit pixel pairs: 4 rows (WebAssembly),
    // 8 (AVX2) or 16 (AVX-512, 4 bytes per pixel); room for 16.
    const scratch = L.take(w * 64 + 64);
    const pairs = L.take(w * 256 + 128);
    const desc = L.take(8 * 64); // the native kernels' output descriptors
    const jobs = sizes.map((s) => {
      const ax = s.width !== w ? axis(w, s.width) : undefined;
      const ay = s.height !== h ? axis(h, s.height) : undefined;
      // Rows of the source the vertical pass reads (all rows when there is no vertical pass).
      const y0 = ay ? ay.first : 0;
      const y1 = ay ? ay.end : h;
      const table = (a: { ksize: number; psize: number }, n: number) =>
        ({ kk: L.take(n * a.ksize * 4), bounds: L.take(n * 8), kh: L.take(n * a.psize * 4), kl: L.take(n * a.psize * 4) });
      return {
        s, ax, ay, y0, y1,
        tx: ax && table(ax, s.width),
        ty: ay && table(ay, s.height),
        tmp: ax && ay ? L.take(s.width * (y1 - y0) * 3) : 0,
        out: ax || ay ? L.take(s.width * s.height * 3) : srcAt,
      };
    });
    if (!this.k || (this.k.size > KEEP_BYTES && L.end <= KEEP_BYTES)) this.k = kernelsFor(this.kernel);
    const k = this.k;
    const mem = k.reserve(L.end);
    const run = () => {
      const outs: HorizontalOut[] = [];
      for (const { s, ax, ay, tx, ty, y0, y1, tmp, out } of jobs) {
        if (ax && tx) {
          k.coefficients(w, s.width, ax.ksize, tx);
          outs.push({ dst: ay ? tmp : out, ow: s.width, kk: tx.kk, bounds: tx.bounds, ksize: ax.ksize, kh: tx.kh, kl: tx.kl, psize: ax.psize, ya: y0, yb: y1 });
        }
        if (ay && ty) k.coefficients(h, s.height, ay.ksize, ty);
      }
      k.horizontal(srcAt, w, scratch, pairs, desc, outs);
      return jobs.map(({ s, ax, ay, ty, y0, tmp, out }) => {
        if (ay && ty) {
          if (ax) k.vertical(tmp, s.width * 3, out, s.height, ty.bounds, ty.kh, ty.kl, ay.psize, y0);
          else k.vertical(srcAt, w * 3, out, s.height, ty.bounds, ty.kh, ty.kl, ay.psize, 0);
        }
        return mem.subarray(out, out + s.width * s.height * 3);
      });
    };
    return { input: mem.subarray(srcAt, srcAt + w * h * 3), run };
  }
}

let shared: Resampler | undefined;

/** Resize `src` (w×h packed RGB) to exactly ow×oh, ignoring aspect ratio, into a new buffer. */
export function resizeBicubicRgb(src: Uint8Array, w: number, h: number, ow: number, oh: number): Buffer {
  return Buffer.from((shared ??= new Resampler()).resize(src, w, h, [{ width: ow, height: oh }])[0]);
}
