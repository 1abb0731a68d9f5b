// 16-lane float32 vectors on AVX-512F (+F16C for half loads). Included only by
// translation units compiled with -mavx512f -mavx512bw -mavx512vl -mfma -mf16c. The AVX2 and
// scalar levels' vectors have 16 lanes too and repeat these reductions' trees, so all three
// levels give the same numbers.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace junction::kernels {

struct Avx512 {
  using V = __m512;
  static constexpr int kWidth = 16;
  static constexpr int kTileRows = 4, kTileTokens = 4;  // matmul_tile: 16 accumulator registers
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float f) { return _mm512_set1_ps(f); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V load_bf16(const std::byte* p) {
    const __m512i wide =
        _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
  }
  static V load_f16(const std::byte* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  // 16 signed bytes as floats (exact).
  static V load_i8(const int8_t* p) {
    return _mm512_cvtepi32_ps(
        _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  // Halving: lanes i + 8, then i + 4, i + 2, i + 1. Written out (GCC's _mm512_reduce_add_ps
  // takes the same tree) because the AVX2 and scalar levels repeat it exactly.
  static float reduce_add(V v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // Lane i = the sum of v[i]'s lanes, for 16 vectors at once: a transposing tree of 45
  // instructions instead of 16 separate horizontal sums of about 8 each.
  static V sum_lanes_of_16(const V* v) {
    V t[8], u[4];
    for (int k = 0; k < 8; ++k)  // per 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3]
      t[k] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * k], v[2 * k + 1]),
                           _mm512_unpackhi_ps(v[2 * k], v[2 * k + 1]));
    for (int k = 0; k < 4; ++k) {  // per 128-bit lane: one partial sum of each of 4 vectors
      const __m512d a = _mm512_castps_pd(t[2 * k]), b = _mm512_castps_pd(t[2 * k + 1]);
      u[k] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                           _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
    }
    // Across 128-bit lanes: [0-3 | 4-7] then [0-3, 4-7, 8-11, 12-15].
    const V w0 = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], 0x88),
                               _mm512_shuffle_f32x4(u[0], u[1], 0xDD));
    const V w1 = _mm512_add_ps(_mm512_shuffle_f32x4(u[2], u[3], 0x88),
                               _mm512_shuffle_f32x4(u[2], u[3], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(w0, w1, 0x88), _mm512_shuffle_f32x4(w0, w1, 0xDD));
  }
  static float reduce_max(V v) { return _mm512_reduce_max_ps(v); }
  // exp(x) to about 2 ulp for x in [-87, 88]; 0 below, as a softmax of masked scores needs.
  static V exp(V x) {
    const V clamped = _mm512_min_ps(x, set1(88.3762626647949f));
    const V n = _mm512_roundscale_ps(_mm512_mul_ps(clamped, set1(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V r = _mm512_fnmadd_ps(n, set1(0.693359375f), clamped);
    r = _mm512_fnmadd_ps(n, set1(-2.12194440e-4f), r);
    V p = set1(1.9875691500e-4f);
    p = fmadd(p, r, set1(1.3981999507e-3f));
    p = fmadd(p, r, set1(8.3334519073e-3f));
    p = fmadd(p, r, set1(4.1665795894e-2f));
    p = fmadd(p, r, set1(1.6666665459e-1f));
    p = fmadd(p, r, set1(5.0000001201e-1f));
    p = fmadd(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, set1(1.0f)));
    const V result = _mm512_scalef_ps(p, n);
    const __mmask16 underflow = _mm512_cmp_ps_mask(x, set1(-87.3365447504f), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(underflow, result, zero());
  }
};

}  // namespace junction::kernels
