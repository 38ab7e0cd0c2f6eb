/*
 * The two passes of Pillow's ImagingResample for 8-bit packed RGB, in native x86-64 SIMD (AVX2 or AVX-512BW,
 * chosen at run time) — the same arithmetic as ../wasm/resample.as.ts and so bit-identical to Pillow: per
 * output value clip8(((Σ p·(c >> 11)) << 11 + Σ p·(c & 2047) + (1 << 21)) >> 22), which in wrapping i32
 * arithmetic is exactly Pillow's i32 sum Σ p·c + (1 << 21). What differs is the width of the lanes and how
 * the horizontal pass gets its pixels: a strip of 8 (AVX2) or 16 (AVX-512) rows is transposed in registers,
 * 8×8 or 16×16 pixels at a time (each pixel as 4 bytes: R G B 0), so that each source pixel's values for the
 * whole strip lie side by side; every output pixel of the strip is then one run of dot products, and the
 * results are transposed back into rows the same way. The vertical pass takes 32 or 64 bytes of a row per step.
 *
 * Built into a shared library by scripts/build-native.mjs (`npm run build:native`, part of `npm run build`)
 * where a C compiler exists, and called through koffi (../resample.ts); without it, or on another CPU, the
 * WebAssembly kernels run instead — the same bytes.
 *
 * Every pointer argument is a byte offset into `mem`, laid out by the caller (resample.ts: Layout) with 64
 * spare bytes after every buffer: loads and stores run up to 64 bytes past a row's end.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PRECISION_BITS 22
#define HALF (1 << 21)
#define BITS 22
#define SPLIT 11

#if defined(__GNUC__) || defined(__clang__)
#define EXPORT __attribute__((visibility("default")))
#else
#define EXPORT
#endif

/* ------------------------------------------------------------------------------------- coefficients */

/* Pillow's bicubic filter (a = −0.5), exactly as Resample.c writes it. */
static double bicubic(double x) {
  const double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

/* Pillow's precompute_coeffs + normalize_coeffs_8bpc for the whole input range (the same doubles, in the same
 * order; built with -ffp-contract=off so that no multiply-add is fused), written into mem: `bounds` (first
 * input, count per output position), and the tap pairs split for the kernels (`kh`: c >> 11, `kl`: c & 2047,
 * a pair in one i32 as two i16, first tap low; psize = (ksize + 1) / 2 per output position, taps past the
 * count 0). ../resample.ts computes the same in JavaScript for the WebAssembly kernels. Returns 0, -1 for a
 * ksize other than Pillow's, -2 when out of memory. */
EXPORT int sl_coefficients(uint8_t *mem, int inSize, int outSize, int ksize, int64_t bounds, int64_t kh, int64_t kl) {
  const double scale = (double)inSize / outSize;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = 2.0 * filterscale;
  if (ksize != (int)ceil(support) * 2 + 1) return -1;
  const int psize = (ksize + 1) >> 1;
  int32_t *B = (int32_t *)(mem + bounds), *KH = (int32_t *)(mem + kh), *KL = (int32_t *)(mem + kl);
  double *pre = malloc(sizeof(double) * (size_t)ksize);
  int32_t *k = malloc(sizeof(int32_t) * ((size_t)ksize + 1));
  if (!pre || !k) {
    free(pre);
    free(k);
    return -2;
  }
  const double ss = 1.0 / filterscale;
  for (int xx = 0; xx < outSize; xx++) {
    const double center = (xx + 0.5) * scale;
    double ww = 0.0;
    int xmin = (int)(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = (int)(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    for (int x = 0; x < xmax; x++) {
      const double w = bicubic((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; x++) {
      const double v = ww != 0.0 ? pre[x] / ww : pre[x];
      k[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PRECISION_BITS)) : (int32_t)(0.5 + v * (1 << PRECISION_BITS));
    }
    for (int x = xmax; x <= ksize; x++) k[x] = 0;
    B[2 * xx] = xmin;
    B[2 * xx + 1] = xmax;
    for (int j = 0; j < psize; j++) {
      const int32_t c0 = k[2 * j], c1 = 2 * j + 1 < ksize ? k[2 * j + 1] : 0;
      KH[(size_t)xx * psize + j] = (int32_t)(((uint32_t)(c1 >> SPLIT) << 16) | ((uint32_t)(c0 >> SPLIT) & 0xffff));
      KL[(size_t)xx * psize + j] = ((c1 & 2047) << 16) | (c0 & 2047);
    }
  }
  free(pre);
  free(k);
  return 0;
}

#ifndef SL_SOURCE_HASH
#define SL_SOURCE_HASH "unknown"
#endif

/* The SHA-256 of the source this library was built from (scripts/build-native.mjs passes it). */
EXPORT const char *sl_source_hash(void) { return SL_SOURCE_HASH; }

/* Which kernels this CPU runs: 512 (AVX-512BW), 256 (AVX2) or 0 (neither: the caller uses WebAssembly). */
EXPORT int sl_resample_level(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return 512;
  if (__builtin_cpu_supports("avx2")) return 256;
  return 0;
}

/* One output of a horizontal pass: ow pixels per row, the coefficients (bounds, split pairs, psize per
 * output pixel), and the source rows [ya, yb) it wants, stored at dst from its row 0 on. */
typedef struct {
  uint8_t *dst;
  const int32_t *B, *KH, *KL;
  int ow, psize, ya, yb;
} HOut;

/* ---------------------------------------------------------------------------------------------- AVX2 */

__attribute__((target("avx2"))) static inline __m256i exact256(__m256i h, __m256i l) {
  return _mm256_srai_epi32(_mm256_add_epi32(_mm256_slli_epi32(h, SPLIT), l), BITS);
}

/* 8×8 transpose of 32-bit values: r[i] dword j ↔ r[j] dword i. */
__attribute__((target("avx2"))) static inline void transpose8(__m256i r[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int g = 0; g < 8; g += 4) {
    u[g] = _mm256_unpacklo_epi64(t[g], t[g + 2]);
    u[g + 1] = _mm256_unpackhi_epi64(t[g], t[g + 2]);
    u[g + 2] = _mm256_unpacklo_epi64(t[g + 1], t[g + 3]);
    u[g + 3] = _mm256_unpackhi_epi64(t[g + 1], t[g + 3]);
  }
  for (int q = 0; q < 4; q++) {
    r[q] = _mm256_permute2x128_si256(u[q], u[4 + q], 0x20);
    r[4 + q] = _mm256_permute2x128_si256(u[q], u[4 + q], 0x31);
  }
}

/* Horizontal pass, 8 rows per strip. scratch: per source pixel (and a zero pixel w) its 8 rows as R G B 0,
 * 32 bytes; pairs: per source pixel those 32 values and pixel x+1's as 16-bit pairs, 128 bytes, in the order
 * the unpacks give (128-bit lane k holds rows 4k … 4k+3; the packs at the end undo it). */
/* One strip's results (8 rows from source row y, n_rows of them real) for one output: every output pixel's
 * dot products, 8 pixels at a time transposed back into rows; only the rows the output wants are stored. */
__attribute__((target("avx2"))) static void emit_avx2(const HOut *out, const int16_t *P, int y, int n_rows) {
  const int ow = out->ow, psize = out->psize;
  const size_t outStride = (size_t)ow * 3;
  const int32_t *B = out->B, *KH = out->KH, *KL = out->KL;
  const __m256i half = _mm256_set1_epi32(HALF);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  const __m256i rgb = _mm256_broadcastsi128_si256(_mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1));
  const __m256i narrow = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
  _Alignas(32) uint8_t obuf[8][32];
  _Alignas(32) uint8_t tail[32];
  for (int xx0 = 0; xx0 < ow; xx0 += 8) {
    const int cnt = ow - xx0 < 8 ? ow - xx0 : 8;
    for (int k = 0; k < cnt; k++) {
      const int xx = xx0 + k, xmin = B[2 * xx], n = B[2 * xx + 1];
      const int32_t *kho = KH + (size_t)xx * psize, *klo = KL + (size_t)xx * psize;
      const __m256i *p = (const __m256i *)(P + (size_t)xmin * 64);
      __m256i h0 = zero, h1 = zero, h2 = zero, h3 = zero, l0 = half, l1 = half, l2 = half, l3 = half;
      const int np = (n + 1) >> 1;
      for (int j = 0; j < np; j++) {
        const __m256i ch = _mm256_set1_epi32(kho[j]), cl = _mm256_set1_epi32(klo[j]);
        const __m256i v0 = _mm256_loadu_si256(p), v1 = _mm256_loadu_si256(p + 1);
        const __m256i v2 = _mm256_loadu_si256(p + 2), v3 = _mm256_loadu_si256(p + 3);
        h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(v0, ch));
        l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(v0, cl));
        h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(v1, ch));
        l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(v1, cl));
        h2 = _mm256_add_epi32(h2, _mm256_madd_epi16(v2, ch));
        l2 = _mm256_add_epi32(l2, _mm256_madd_epi16(v2, cl));
        h3 = _mm256_add_epi32(h3, _mm256_madd_epi16(v3, ch));
        l3 = _mm256_add_epi32(l3, _mm256_madd_epi16(v3, cl));
        p += 8; /* two source pixels */
      }
      const __m256i n01 = _mm256_packs_epi32(exact256(h0, l0), exact256(h1, l1));
      const __m256i n23 = _mm256_packs_epi32(exact256(h2, l2), exact256(h3, l3));
      _mm256_store_si256((__m256i *)obuf[k], _mm256_packus_epi16(n01, n23)); /* dword r: row r's R G B 0 */
    }
    __m256i o[8];
    for (int i = 0; i < 8; i++) o[i] = _mm256_load_si256((const __m256i *)obuf[i]);
    transpose8(o);
    for (int r = 0; r < n_rows; r++) {
      if (y + r < out->ya || y + r >= out->yb) continue;
      const __m256i v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(o[r], rgb), narrow);
      uint8_t *at = out->dst + (size_t)(y + r - out->ya) * outStride + (size_t)xx0 * 3;
      if (cnt == 8) _mm256_maskstore_epi32((int *)at, six, v);
      else {
        _mm256_store_si256((__m256i *)tail, v);
        memcpy(at, tail, (size_t)cnt * 3);
      }
    }
  }
}

__attribute__((target("avx2"))) static void horizontal_avx2(const uint8_t *src, int w, int rows, uint8_t *S, int16_t *P, const HOut *outs, int nout) {
  const size_t inStride = (size_t)w * 3;
  const __m256i zero = _mm256_setzero_si256();
  const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  const __m256i widen = _mm256_setr_epi32(0, 1, 2, 2, 3, 4, 5, 5);
  const __m256i rgb0 = _mm256_broadcastsi128_si256(_mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1));
  _Alignas(32) uint8_t tail[32];
  for (int y = 0; y < rows; y += 8) {
    const int n_rows = rows - y < 8 ? rows - y : 8;
    int wanted = 0; /* does any output want a row of this strip? */
    for (int oi = 0; oi < nout; oi++) wanted |= outs[oi].ya < y + n_rows && y < outs[oi].yb;
    if (!wanted) continue;
    const uint8_t *row[8];
    for (int r = 0; r < 8; r++) row[r] = src + (size_t)(y + (r < n_rows ? r : n_rows - 1)) * inStride;
    for (int x0 = 0; x0 < w; x0 += 8) {
      const int cnt = w - x0 < 8 ? w - x0 : 8;
      __m256i t[8];
      for (int r = 0; r < 8; r++) {
        __m256i v;
        if (cnt == 8) v = _mm256_maskload_epi32((const int *)(row[r] + (size_t)x0 * 3), six);
        else {
          memset(tail, 0, sizeof tail);
          memcpy(tail, row[r] + (size_t)x0 * 3, (size_t)cnt * 3);
          v = _mm256_load_si256((const __m256i *)tail);
        }
        t[r] = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(v, widen), rgb0);
      }
      transpose8(t);
      for (int i = 0; i < cnt; i++) _mm256_storeu_si256((__m256i *)(S + (size_t)(x0 + i) * 32), t[i]);
    }
    memset(S + (size_t)w * 32, 0, 32);
    for (int x = 0; x < w; x++) {
      const __m256i a = _mm256_loadu_si256((const __m256i *)(S + (size_t)x * 32));
      const __m256i b = _mm256_loadu_si256((const __m256i *)(S + (size_t)x * 32 + 32));
      const __m256i lo = _mm256_unpacklo_epi8(a, b), hi = _mm256_unpackhi_epi8(a, b);
      __m256i *q = (__m256i *)(P + (size_t)x * 64);
      _mm256_storeu_si256(q, _mm256_unpacklo_epi8(lo, zero));
      _mm256_storeu_si256(q + 1, _mm256_unpackhi_epi8(lo, zero));
      _mm256_storeu_si256(q + 2, _mm256_unpacklo_epi8(hi, zero));
      _mm256_storeu_si256(q + 3, _mm256_unpackhi_epi8(hi, zero));
    }
    for (int oi = 0; oi < nout; oi++)
      if (outs[oi].ya < y + n_rows && y < outs[oi].yb) emit_avx2(outs + oi, P, y, n_rows);
  }
}

/* Vertical pass, 32 bytes of a row per step: two source rows' bytes interleaved into 16-bit pairs. */
__attribute__((target("avx2"))) static void vertical_avx2(uint8_t *mem, int64_t src, int stride, int64_t dst, int oh, int64_t bounds,
                                                          int64_t kh, int64_t kl, int psize, int yoff) {
  const int32_t *B = (const int32_t *)(mem + bounds);
  const int32_t *KH = (const int32_t *)(mem + kh), *KL = (const int32_t *)(mem + kl);
  const size_t s = (size_t)stride;
  const __m256i half = _mm256_set1_epi32(HALF);
  const __m256i zero = _mm256_setzero_si256();
  for (int yy = 0; yy < oh; yy++) {
    const int ymin = B[2 * yy] - yoff, n = B[2 * yy + 1];
    const int32_t *kho = KH + (size_t)yy * psize, *klo = KL + (size_t)yy * psize;
    const uint8_t *base = mem + src + (size_t)ymin * s;
    uint8_t *orow = mem + dst + (size_t)yy * s;
    const int full = n >> 1, np = (n + 1) >> 1;
    for (size_t i = 0; i < s; i += 32) {
      __m256i h0 = zero, h1 = zero, h2 = zero, h3 = zero, l0 = half, l1 = half, l2 = half, l3 = half;
      const uint8_t *p = base + i;
      for (int j = 0; j < np; j++) {
        const __m256i ch = _mm256_set1_epi32(kho[j]), cl = _mm256_set1_epi32(klo[j]);
        const __m256i a = _mm256_loadu_si256((const __m256i *)p);
        /* An odd last tap is paired with zeros (its coefficient is 0 too): no row past the last is read. */
        const __m256i b = j < full ? _mm256_loadu_si256((const __m256i *)(p + s)) : zero;
        const __m256i lo = _mm256_unpacklo_epi8(a, b), hi = _mm256_unpackhi_epi8(a, b);
        const __m256i w0 = _mm256_unpacklo_epi8(lo, zero), w1 = _mm256_unpackhi_epi8(lo, zero);
        const __m256i w2 = _mm256_unpacklo_epi8(hi, zero), w3 = _mm256_unpackhi_epi8(hi, zero);
        h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(w0, ch));
        l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(w0, cl));
        h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(w1, ch));
        l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(w1, cl));
        h2 = _mm256_add_epi32(h2, _mm256_madd_epi16(w2, ch));
        l2 = _mm256_add_epi32(l2, _mm256_madd_epi16(w2, cl));
        h3 = _mm256_add_epi32(h3, _mm256_madd_epi16(w3, ch));
        l3 = _mm256_add_epi32(l3, _mm256_madd_epi16(w3, cl));
        p += 2 * s;
      }
      /* Lane by lane (each 128-bit half on its own) the packs undo the unpacks: bytes come back in order. */
      const __m256i n01 = _mm256_packs_epi32(exact256(h0, l0), exact256(h1, l1));
      const __m256i n23 = _mm256_packs_epi32(exact256(h2, l2), exact256(h3, l3));
      _mm256_storeu_si256((__m256i *)(orow + i), _mm256_packus_epi16(n01, n23));
    }
  }
}

/* ------------------------------------------------------------------------------------------- AVX-512 */

#define AVX512 __attribute__((target("avx512f,avx512bw")))

AVX512 static inline __m512i exact512(__m512i h, __m512i l) {
  return _mm512_srai_epi32(_mm512_add_epi32(_mm512_slli_epi32(h, SPLIT), l), BITS);
}

/* 16×16 transpose of 32-bit values: r[i] dword j ↔ r[j] dword i. */
AVX512 static inline void transpose16(__m512i r[16]) {
  __m512i t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  /* u[4g + q], 128-bit lane L: column 4L + q of rows 4g … 4g + 3. */
  for (int g = 0; g < 16; g += 4) {
    u[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
    u[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
    u[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
    u[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
  }
  for (int q = 0; q < 4; q++) {
    const __m512i v = _mm512_shuffle_i32x4(u[q], u[4 + q], 0x44), w = _mm512_shuffle_i32x4(u[q], u[4 + q], 0xEE);
    const __m512i v2 = _mm512_shuffle_i32x4(u[8 + q], u[12 + q], 0x44), w2 = _mm512_shuffle_i32x4(u[8 + q], u[12 + q], 0xEE);
    r[q] = _mm512_shuffle_i32x4(v, v2, 0x88);
    r[4 + q] = _mm512_shuffle_i32x4(v, v2, 0xDD);
    r[8 + q] = _mm512_shuffle_i32x4(w, w2, 0x88);
    r[12 + q] = _mm512_shuffle_i32x4(w, w2, 0xDD);
  }
}

/* Horizontal pass, 16 rows per strip (as horizontal_avx2): scratch 64 bytes per source pixel, pairs 256. */
/* One strip's results (16 rows from source row y, n_rows of them real) for one output: every output pixel's
 * dot products, 16 pixels at a time transposed back into rows; only the rows the output wants are stored. */
AVX512 static void emit_avx512(const HOut *out, const int16_t *P, int y, int n_rows) {
  const int ow = out->ow, psize = out->psize;
  const size_t outStride = (size_t)ow * 3;
  const int32_t *B = out->B, *KH = out->KH, *KL = out->KL;
  const __m512i half = _mm512_set1_epi32(HALF);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i rgb = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1));
  const __m512i narrow = _mm512_setr_epi32(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 15, 15, 15);
  _Alignas(64) uint8_t obuf[16][64];
  for (int xx0 = 0; xx0 < ow; xx0 += 16) {
    const int cnt = ow - xx0 < 16 ? ow - xx0 : 16;
    for (int k = 0; k < cnt; k++) {
      const int xx = xx0 + k, xmin = B[2 * xx], n = B[2 * xx + 1];
      const int32_t *kho = KH + (size_t)xx * psize, *klo = KL + (size_t)xx * psize;
      const __m512i *p = (const __m512i *)(P + (size_t)xmin * 128);
      __m512i h0 = zero, h1 = zero, h2 = zero, h3 = zero, l0 = half, l1 = half, l2 = half, l3 = half;
      const int np = (n + 1) >> 1;
      for (int j = 0; j < np; j++) {
        const __m512i ch = _mm512_set1_epi32(kho[j]), cl = _mm512_set1_epi32(klo[j]);
        const __m512i v0 = _mm512_loadu_si512((const void *)p), v1 = _mm512_loadu_si512((const void *)(p + 1));
        const __m512i v2 = _mm512_loadu_si512((const void *)(p + 2)), v3 = _mm512_loadu_si512((const void *)(p + 3));
        h0 = _mm512_add_epi32(h0, _mm512_madd_epi16(v0, ch));
        l0 = _mm512_add_epi32(l0, _mm512_madd_epi16(v0, cl));
        h1 = _mm512_add_epi32(h1, _mm512_madd_epi16(v1, ch));
        l1 = _mm512_add_epi32(l1, _mm512_madd_epi16(v1, cl));
        h2 = _mm512_add_epi32(h2, _mm512_madd_epi16(v2, ch));
        l2 = _mm512_add_epi32(l2, _mm512_madd_epi16(v2, cl));
        h3 = _mm512_add_epi32(h3, _mm512_madd_epi16(v3, ch));
        l3 = _mm512_add_epi32(l3, _mm512_madd_epi16(v3, cl));
        p += 8; /* two source pixels */
      }
      const __m512i n01 = _mm512_packs_epi32(exact512(h0, l0), exact512(h1, l1));
      const __m512i n23 = _mm512_packs_epi32(exact512(h2, l2), exact512(h3, l3));
      _mm512_store_si512((void *)obuf[k], _mm512_packus_epi16(n01, n23)); /* dword r: row r's R G B 0 */
    }
    __m512i o[16];
    for (int i = 0; i < 16; i++) o[i] = _mm512_load_si512((const void *)obuf[i]);
    transpose16(o);
    const __mmask64 m = ((__mmask64)1 << (3 * cnt)) - 1;
    for (int r = 0; r < n_rows; r++) {
      if (y + r < out->ya || y + r >= out->yb) continue;
      uint8_t *at = out->dst + (size_t)(y + r - out->ya) * outStride + (size_t)xx0 * 3;
      _mm512_mask_storeu_epi8(at, m, _mm512_permutexvar_epi32(narrow, _mm512_shuffle_epi8(o[r], rgb)));
    }
  }
}

AVX512 static void horizontal_avx512(const uint8_t *src, int w, int rows, uint8_t *S, int16_t *P, const HOut *outs, int nout) {
  const size_t inStride = (size_t)w * 3;
  const __m512i zero = _mm512_setzero_si512();
  const __m512i widen = _mm512_setr_epi32(0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10, 11, 11);
  const __m512i rgb0 = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1));
  for (int y = 0; y < rows; y += 16) {
    const int n_rows = rows - y < 16 ? rows - y : 16;
    int wanted = 0; /* does any output want a row of this strip? */
    for (int oi = 0; oi < nout; oi++) wanted |= outs[oi].ya < y + n_rows && y < outs[oi].yb;
    if (!wanted) continue;
    const uint8_t *row[16];
    for (int r = 0; r < 16; r++) row[r] = src + (size_t)(y + (r < n_rows ? r : n_rows - 1)) * inStride;
    for (int x0 = 0; x0 < w; x0 += 16) {
      const int cnt = w - x0 < 16 ? w - x0 : 16;
      const __mmask64 m = ((__mmask64)1 << (3 * cnt)) - 1;
      __m512i t[16];
      for (int r = 0; r < 16; r++) t[r] = _mm512_shuffle_epi8(_mm512_permutexvar_epi32(widen, _mm512_maskz_loadu_epi8(m, row[r] + (size_t)x0 * 3)), rgb0);
      transpose16(t);
      for (int i = 0; i < cnt; i++) _mm512_storeu_si512((void *)(S + (size_t)(x0 + i) * 64), t[i]);
    }
    memset(S + (size_t)w * 64, 0, 64);
    for (int x = 0; x < w; x++) {
      const __m512i a = _mm512_loadu_si512((const void *)(S + (size_t)x * 64));
      const __m512i b = _mm512_loadu_si512((const void *)(S + (size_t)x * 64 + 64));
      const __m512i lo = _mm512_unpacklo_epi8(a, b), hi = _mm512_unpackhi_epi8(a, b);
      __m512i *q = (__m512i *)(P + (size_t)x * 128);
      _mm512_storeu_si512((void *)q, _mm512_unpacklo_epi8(lo, zero));
      _mm512_storeu_si512((void *)(q + 1), _mm512_unpackhi_epi8(lo, zero));
      _mm512_storeu_si512((void *)(q + 2), _mm512_unpacklo_epi8(hi, zero));
      _mm512_storeu_si512((void *)(q + 3), _mm512_unpackhi_epi8(hi, zero));
    }
    for (int oi = 0; oi < nout; oi++)
      if (outs[oi].ya < y + n_rows && y < outs[oi].yb) emit_avx512(outs + oi, P, y, n_rows);
  }
}

/* Vertical pass, 64 bytes of a row per step. */
AVX512 static void vertical_avx512(uint8_t *mem, int64_t src, int stride, int64_t dst, int oh, int64_t bounds, int64_t kh, int64_t kl,
                                   int psize, int yoff) {
  const int32_t *B = (const int32_t *)(mem + bounds);
  const int32_t *KH = (const int32_t *)(mem + kh), *KL = (const int32_t *)(mem + kl);
  const size_t s = (size_t)stride;
  const __m512i half = _mm512_set1_epi32(HALF);
  const __m512i zero = _mm512_setzero_si512();
  for (int yy = 0; yy < oh; yy++) {
    const int ymin = B[2 * yy] - yoff, n = B[2 * yy + 1];
    const int32_t *kho = KH + (size_t)yy * psize, *klo = KL + (size_t)yy * psize;
    const uint8_t *base = mem + src + (size_t)ymin * s;
    uint8_t *orow = mem + dst + (size_t)yy * s;
    const int full = n >> 1, np = (n + 1) >> 1;
    for (size_t i = 0; i < s; i += 64) {
      __m512i h0 = zero, h1 = zero, h2 = zero, h3 = zero, l0 = half, l1 = half, l2 = half, l3 = half;
      const uint8_t *p = base + i;
      for (int j = 0; j < np; j++) {
        const __m512i ch = _mm512_set1_epi32(kho[j]), cl = _mm512_set1_epi32(klo[j]);
        const __m512i a = _mm512_loadu_si512((const void *)p);
        const __m512i b = j < full ? _mm512_loadu_si512((const void *)(p + s)) : zero;
        const __m512i lo = _mm512_unpacklo_epi8(a, b), hi = _mm512_unpackhi_epi8(a, b);
        const __m512i w0 = _mm512_unpacklo_epi8(lo, zero), w1 = _mm512_unpackhi_epi8(lo, zero);
        const __m512i w2 = _mm512_unpacklo_epi8(hi, zero), w3 = _mm512_unpackhi_epi8(hi, zero);
        h0 = _mm512_add_epi32(h0, _mm512_madd_epi16(w0, ch));
        l0 = _mm512_add_epi32(l0, _mm512_madd_epi16(w0, cl));
        h1 = _mm512_add_epi32(h1, _mm512_madd_epi16(w1, ch));
        l1 = _mm512_add_epi32(l1, _mm512_madd_epi16(w1, cl));
        h2 = _mm512_add_epi32(h2, _mm512_madd_epi16(w2, ch));
        l2 = _mm512_add_epi32(l2, _mm512_madd_epi16(w2, cl));
        h3 = _mm512_add_epi32(h3, _mm512_madd_epi16(w3, ch));
        l3 = _mm512_add_epi32(l3, _mm512_madd_epi16(w3, cl));
        p += 2 * s;
      }
      const __m512i n01 = _mm512_packs_epi32(exact512(h0, l0), exact512(h1, l1));
      const __m512i n23 = _mm512_packs_epi32(exact512(h2, l2), exact512(h3, l3));
      _mm512_storeu_si512((void *)(orow + i), _mm512_packus_epi16(n01, n23));
    }
  }
}

/* ------------------------------------------------------------------------------------------- exports */

static int cpu = -1;

/* Horizontal pass over the source rows [0, rows) at src (w RGB pixels per row) into `nout` outputs at once —
 * the strips are transposed once for all of them (an image's grid and thumbnail) — with the kernels of
 * `level` (512 or 256). desc: per output 8 doubles (exact integers): dst offset, ow, bounds, kh, kl offsets,
 * psize, and the rows [ya, yb) of the source it wants, stored from dst's row 0. Scratch and pairs:
 * (w + 1)·64 and w·256 bytes cover both levels. Returns 0, -1 when this CPU cannot run that level, -2 for
 * more than 8 outputs. */
EXPORT int sl_horizontal(int level, uint8_t *mem, int64_t src, int w, int rows, int64_t scratch, int64_t pairs, int nout, int64_t desc) {
  if (cpu < 0) cpu = sl_resample_level();
  if (nout > 8) return -2;
  HOut outs[8];
  const double *d = (const double *)(mem + desc);
  for (int i = 0; i < nout; i++, d += 8) {
    outs[i] = (HOut){ .dst = mem + (int64_t)d[0], .ow = (int)d[1], .B = (const int32_t *)(mem + (int64_t)d[2]),
                      .KH = (const int32_t *)(mem + (int64_t)d[3]), .KL = (const int32_t *)(mem + (int64_t)d[4]),
                      .psize = (int)d[5], .ya = (int)d[6], .yb = (int)d[7] };
  }
  if (level == 512 && cpu >= 512) horizontal_avx512(mem + src, w, rows, mem + scratch, (int16_t *)(mem + pairs), outs, nout);
  else if (level == 256 && cpu >= 256) horizontal_avx2(mem + src, w, rows, mem + scratch, (int16_t *)(mem + pairs), outs, nout);
  else return -1;
  return 0;
}

/* Vertical pass with the kernels of `level`: rows of `stride` bytes at src → `oh` rows at dst; output row y
 * reads source rows bounds[2y] − yoff … . Returns 0, or -1 when this CPU cannot run that level. */
EXPORT int sl_vertical(int level, uint8_t *mem, int64_t src, int stride, int64_t dst, int oh, int64_t bounds, int64_t kh, int64_t kl,
                       int psize, int yoff) {
  if (cpu < 0) cpu = sl_resample_level();
  if (level == 512 && cpu >= 512) vertical_avx512(mem, src, stride, dst, oh, bounds, kh, kl, psize, yoff);
  else if (level == 256 && cpu >= 256) vertical_avx2(mem, src, stride, dst, oh, bounds, kh, kl, psize, yoff);
  else return -1;
  return 0;
}
