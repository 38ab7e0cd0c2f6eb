// AssemblyScript, compiled to WebAssembly (SIMD) by `npm run build:wasm` — not part of the TypeScript build.
//
// The two passes of Pillow's ImagingResample for 8-bit packed RGB, with the coefficients Pillow computes
// (22-bit fixed point, see ../resample.ts). The arithmetic is Pillow's: per output value
// clip8((1 << 21) + Σ pixel·coefficient), so results are bit-identical to Pillow's C; only the order of the
// work differs (SIMD lanes: the three channels of a pixel in the horizontal pass, 16 bytes of a row in the
// vertical pass). All pointers are byte offsets into this module's memory; the caller lays the buffers out
// and leaves 16 spare bytes after every buffer (loads and stores run up to 16 bytes past a row's end).

const HALF: i32 = 1 << 21;
const BITS: i32 = 22;
/** Coefficients are split as c = (c >> SPLIT) << SPLIT + (c & (1 << SPLIT) − 1): both halves fit i16. */
const SPLIT: i32 = 11;

/** Horizontal pass: `rows` rows of `w` RGB pixels at `src` → `rows` rows of `ow` pixels at `dst`.
 *  Output pixel x uses source pixels bounds[2x] … bounds[2x] + bounds[2x+1] − 1 with the i32 coefficients
 *  kk[x·ksize …]. */
export function horizontal(src: usize, w: i32, rows: i32, dst: usize, ow: i32, kk: usize, bounds: usize, ksize: i32): void {
  const half = i32x4.splat(HALF);
  const inStride = <usize>(w * 3);
  const outStride = <usize>(ow * 3);
  for (let y = 0; y < rows; y++) {
    const row = src + <usize>y * inStride;
    const orow = dst + <usize>y * outStride;
    for (let xx = 0; xx < ow; xx++) {
      const xmin = load<i32>(bounds + (<usize>xx << 3));
      const n = load<i32>(bounds + (<usize>xx << 3) + 4);
      const k = kk + <usize>(xx * ksize) * 4;
      let p = row + <usize>(xmin * 3);
      let acc = half;
      for (let x = 0; x < n; x++) {
        const px = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
        acc = i32x4.add(acc, i32x4.mul(px, i32x4.splat(load<i32>(k + (<usize>x << 2)))));
        p += 3;
      }
      acc = i32x4.shr_s(acc, BITS);
      const n16 = i16x8.narrow_i32x4_s(acc, acc);
      const n8 = i8x16.narrow_i16x8_u(n16, n16);
      // Writes 4 bytes; the 4th is overwritten by the next pixel (or lands in the spare bytes).
      store<i32>(orow + <usize>(xx * 3), i32x4.extract_lane(n8, 0));
    }
  }
}

/** Pillow's sum from the split halves, shifted to 8 bits (before clipping): ((Σ p·(c >> 11)) << 11 + Σ p·(c & 2047)) >> 22,
 *  the wrapping i32 arithmetic giving exactly Pillow's i32 sum. `l` holds the rounding half already. */
// @ts-ignore: decorator
@inline function exact(h: v128, l: v128): v128 {
  return i32x4.shr_s(i32x4.add(i32x4.shl(h, SPLIT), l), BITS);
}

// @ts-ignore: decorator
@inline function last3(at: usize, v: i32): void {
  store<u16>(at, <u16>v);
  store<u8>(at + 2, <u8>(v >> 16));
}

/** Horizontal pass, four rows at a time, two taps per step. The rows are first interleaved pixel by pixel
 *  into `scratch` (w·12 bytes + 16 spare: R G B of row 0, 1, 2, 3 for each source pixel), then turned into
 *  `pairs` (w·48 bytes): for each source pixel x, its 12 values and pixel x+1's as 16-bit pairs (pixel w is
 *  zero). One step of an output pixel is then three 16-byte loads and six i32x4.dot_i16x8_s — two taps for
 *  12 values — against the tap pair's coefficients split in two 16-bit halves (`kh`, `kl`: per output pixel
 *  `psize` i32, each the pair (c[2j], c[2j+1]) of c >> 11 resp. c & 2047; a tap past the pixel's last one has
 *  coefficient 0). Σ p·c = (Σ p·(c >> 11)) << 11 + Σ p·(c & 2047) in wrapping i32 arithmetic, exactly what
 *  Pillow's i32 sum is. Rows left over (rows % 4) go through `horizontal`, with the plain coefficients. */
export function horizontal4(src: usize, w: i32, rows: i32, dst: usize, ow: i32, kk: usize, bounds: usize, ksize: i32, scratch: usize, pairs: usize, kh: usize, kl: usize, psize: i32): void {
  const half = i32x4.splat(HALF);
  const inStride = <usize>(w * 3);
  const outStride = <usize>(ow * 3);
  const zero = i32x4.splat(0);
  let y = 0;
  for (; y + 4 <= rows; y += 4) {
    const r0 = src + <usize>y * inStride;
    for (let x = 0; x < w; x++) {
      // 4-byte copies, each overwriting the previous one's spare byte.
      const s = scratch + <usize>(x * 12);
      const o = r0 + <usize>(x * 3);
      store<u32>(s, load<u32>(o));
      store<u32>(s + 3, load<u32>(o + inStride));
      store<u32>(s + 6, load<u32>(o + 2 * inStride));
      store<u32>(s + 9, load<u32>(o + 3 * inStride));
    }
    v128.store(scratch + <usize>(w * 12), zero); // pixel w: zero (it only ever meets a zero coefficient)
    for (let x = 0; x < w; x++) {
      const s = scratch + <usize>(x * 12);
      const a = v128.load(s);
      const b = v128.load(s + 12);
      const lo = i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const hi = i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const q = pairs + <usize>(x * 48);
      v128.store(q, i16x8.extend_low_i8x16_u(lo));
      v128.store(q + 16, i16x8.extend_high_i8x16_u(lo));
      v128.store(q + 32, i16x8.extend_low_i8x16_u(hi));
    }
    const o0 = dst + <usize>y * outStride;
    for (let xx = 0; xx < ow; xx++) {
      const xmin = load<i32>(bounds + (<usize>xx << 3));
      const n = load<i32>(bounds + (<usize>xx << 3) + 4);
      const kho = kh + <usize>(xx * psize) * 4;
      const klo = kl + <usize>(xx * psize) * 4;
      let p = pairs + <usize>(xmin * 48);
      let h0 = zero, h1 = zero, h2 = zero, l0 = half, l1 = half, l2 = half;
      const np = (n + 1) >> 1;
      for (let j = 0; j < np; j++) {
        const ch = v128.load32_splat(kho + (<usize>j << 2));
        const cl = v128.load32_splat(klo + (<usize>j << 2));
        const v0 = v128.load(p);
        const v1 = v128.load(p + 16);
        const v2 = v128.load(p + 32);
        h0 = i32x4.add(h0, i32x4.dot_i16x8_s(v0, ch));
        l0 = i32x4.add(l0, i32x4.dot_i16x8_s(v0, cl));
        h1 = i32x4.add(h1, i32x4.dot_i16x8_s(v1, ch));
        l1 = i32x4.add(l1, i32x4.dot_i16x8_s(v1, cl));
        h2 = i32x4.add(h2, i32x4.dot_i16x8_s(v2, ch));
        l2 = i32x4.add(l2, i32x4.dot_i16x8_s(v2, cl));
        p += 96;
      }
      const a2 = exact(h2, l2);
      const n0 = i16x8.narrow_i32x4_s(exact(h0, l0), exact(h1, l1));
      const n1 = i16x8.narrow_i32x4_s(a2, a2);
      // Bytes 3r … 3r+2 are row r's pixel; lane r of the shuffle holds them (+1 spare byte).
      const b = i8x16.shuffle(i8x16.narrow_i16x8_u(n0, n1), half, 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12);
      const at = o0 + <usize>(xx * 3);
      if (xx < ow - 1) {
        store<i32>(at, i32x4.extract_lane(b, 0));
        store<i32>(at + outStride, i32x4.extract_lane(b, 1));
        store<i32>(at + 2 * outStride, i32x4.extract_lane(b, 2));
        store<i32>(at + 3 * outStride, i32x4.extract_lane(b, 3));
      } else {
        // The last pixel of a row: 3 bytes exactly (a 4th would land on the next row's first pixel).
        last3(at, i32x4.extract_lane(b, 0));
        last3(at + outStride, i32x4.extract_lane(b, 1));
        last3(at + 2 * outStride, i32x4.extract_lane(b, 2));
        last3(at + 3 * outStride, i32x4.extract_lane(b, 3));
      }
    }
  }
  if (y < rows) horizontal(src + <usize>y * inStride, w, rows - y, dst + <usize>y * outStride, ow, kk, bounds, ksize);
}

/** Vertical pass: rows of `stride` bytes at `src` → `oh` rows at `dst`. Output row y uses source rows
 *  bounds[2y] − yoff … with the tap pairs' split coefficients kh / kl (as `horizontal4`). 16 bytes of a row
 *  per step, two rows at a time: their bytes interleaved into 16-bit pairs and multiplied by dot products. */
export function vertical(src: usize, stride: i32, dst: usize, oh: i32, bounds: usize, kh: usize, kl: usize, psize: i32, yoff: i32): void {
  const half = i32x4.splat(HALF);
  const zero = i32x4.splat(0);
  const s = <usize>stride;
  for (let yy = 0; yy < oh; yy++) {
    const ymin = load<i32>(bounds + (<usize>yy << 3)) - yoff;
    const n = load<i32>(bounds + (<usize>yy << 3) + 4);
    const kho = kh + <usize>(yy * psize) * 4;
    const klo = kl + <usize>(yy * psize) * 4;
    const base = src + <usize>ymin * s;
    const orow = dst + <usize>yy * s;
    const full = n >> 1;
    const pairs = (n + 1) >> 1;
    for (let i: usize = 0; i < s; i += 16) {
      let h0 = zero, h1 = zero, h2 = zero, h3 = zero;
      let l0 = half, l1 = half, l2 = half, l3 = half;
      let p = base + i;
      for (let j = 0; j < pairs; j++) {
        const ch = v128.load32_splat(kho + (<usize>j << 2));
        const cl = v128.load32_splat(klo + (<usize>j << 2));
        const a = v128.load(p);
        // An odd last tap is paired with zeros (its pair's second coefficient is 0 too): no row past the last is read.
        let b = zero;
        if (j < full) b = v128.load(p + s);
        const lo = i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const hi = i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        const w0 = i16x8.extend_low_i8x16_u(lo);
        const w1 = i16x8.extend_high_i8x16_u(lo);
        const w2 = i16x8.extend_low_i8x16_u(hi);
        const w3 = i16x8.extend_high_i8x16_u(hi);
        h0 = i32x4.add(h0, i32x4.dot_i16x8_s(w0, ch));
        l0 = i32x4.add(l0, i32x4.dot_i16x8_s(w0, cl));
        h1 = i32x4.add(h1, i32x4.dot_i16x8_s(w1, ch));
        l1 = i32x4.add(l1, i32x4.dot_i16x8_s(w1, cl));
        h2 = i32x4.add(h2, i32x4.dot_i16x8_s(w2, ch));
        l2 = i32x4.add(l2, i32x4.dot_i16x8_s(w2, cl));
        h3 = i32x4.add(h3, i32x4.dot_i16x8_s(w3, ch));
        l3 = i32x4.add(l3, i32x4.dot_i16x8_s(w3, cl));
        p += s << 1;
      }
      v128.store(orow + i, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(exact(h0, l0), exact(h1, l1)), i16x8.narrow_i32x4_s(exact(h2, l2), exact(h3, l3))));
    }
  }
}
