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

// @ts-ignore: decorator
@inline function last3(at: usize, v: i32): void {
  store<u16>(at, <u16>v);
  store<u8>(at + 2, <u8>(v >> 16));
}

/** Horizontal pass, four rows at a time: the rows are first interleaved pixel by pixel into `scratch`
 *  (w·12 bytes + 16 spare: R G B of row 0, 1, 2, 3 for each source pixel), so one tap is one 16-byte load
 *  times one coefficient for 12 values. Rows left over (rows % 4) go through `horizontal`. */
export function horizontal4(src: usize, w: i32, rows: i32, dst: usize, ow: i32, kk: usize, bounds: usize, ksize: i32, scratch: usize): void {
  const half = i32x4.splat(HALF);
  const inStride = <usize>(w * 3);
  const outStride = <usize>(ow * 3);
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
    const o0 = dst + <usize>y * outStride;
    for (let xx = 0; xx < ow; xx++) {
      const xmin = load<i32>(bounds + (<usize>xx << 3));
      const n = load<i32>(bounds + (<usize>xx << 3) + 4);
      const k = kk + <usize>(xx * ksize) * 4;
      let p = scratch + <usize>(xmin * 12);
      let a0 = half, a1 = half, a2 = half;
      for (let x = 0; x < n; x++) {
        const c = i32x4.splat(load<i32>(k + (<usize>x << 2)));
        const v = v128.load(p);
        const lo = i16x8.extend_low_i8x16_u(v);
        a0 = i32x4.add(a0, i32x4.mul(i32x4.extend_low_i16x8_u(lo), c));
        a1 = i32x4.add(a1, i32x4.mul(i32x4.extend_high_i16x8_u(lo), c));
        a2 = i32x4.add(a2, i32x4.mul(i32x4.extend_low_i16x8_u(i16x8.extend_high_i8x16_u(v)), c));
        p += 12;
      }
      const n0 = i16x8.narrow_i32x4_s(i32x4.shr_s(a0, BITS), i32x4.shr_s(a1, BITS));
      const n1 = i16x8.narrow_i32x4_s(i32x4.shr_s(a2, BITS), i32x4.shr_s(a2, BITS));
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
 *  bounds[2y] − yoff … with the coefficients kk[y·ksize …]. 16 bytes of a row per step. */
export function vertical(src: usize, stride: i32, dst: usize, oh: i32, kk: usize, bounds: usize, ksize: i32, yoff: i32): void {
  const half = i32x4.splat(HALF);
  const s = <usize>stride;
  for (let yy = 0; yy < oh; yy++) {
    const ymin = load<i32>(bounds + (<usize>yy << 3)) - yoff;
    const n = load<i32>(bounds + (<usize>yy << 3) + 4);
    const k = kk + <usize>(yy * ksize) * 4;
    const base = src + <usize>ymin * s;
    const orow = dst + <usize>yy * s;
    for (let i: usize = 0; i < s; i += 16) {
      let a0 = half, a1 = half, a2 = half, a3 = half;
      let p = base + i;
      for (let y = 0; y < n; y++) {
        const c = i32x4.splat(load<i32>(k + (<usize>y << 2)));
        const v = v128.load(p);
        const lo = i16x8.extend_low_i8x16_u(v);
        const hi = i16x8.extend_high_i8x16_u(v);
        a0 = i32x4.add(a0, i32x4.mul(i32x4.extend_low_i16x8_u(lo), c));
        a1 = i32x4.add(a1, i32x4.mul(i32x4.extend_high_i16x8_u(lo), c));
        a2 = i32x4.add(a2, i32x4.mul(i32x4.extend_low_i16x8_u(hi), c));
        a3 = i32x4.add(a3, i32x4.mul(i32x4.extend_high_i16x8_u(hi), c));
        p += s;
      }
      const n0 = i16x8.narrow_i32x4_s(i32x4.shr_s(a0, BITS), i32x4.shr_s(a1, BITS));
      const n1 = i16x8.narrow_i32x4_s(i32x4.shr_s(a2, BITS), i32x4.shr_s(a3, BITS));
      v128.store(orow + i, i8x16.narrow_i16x8_u(n0, n1));
    }
  }
}
