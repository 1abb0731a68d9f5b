// 16-lane float32 vectors on AVX2 + FMA + F16C, each a pair of 8-lane registers. Included only
// by translation units compiled with -mavx2 -mfma -mf16c.
//
// 16 lanes, not 8, so that the AVX2 level adds in exactly the AVX-512 level's order: every
// lane-wise step is the same IEEE operation on either, and reduce_add and sum_lanes_of_16 follow
// simd_avx512-inl.h's trees. A dot product summed over 8 lanes rounds differently in the last bit,
// which flips int8 roundings of the next layer's quantized activations and moved llama.cpp
// teacher-forced log-probabilities by up to 0.063 (Q5_K_M) where AVX-512 is within 0.026. Costs
// a few more shuffles per horizontal sum; a tile of 16-lane accumulators would not fit the 16
// registers, so the float matmul runs the two halves in separate passes (Half below).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace junction::kernels {

struct Avx2 {
  struct V {
    __m256 lo, hi;  // lanes 0-7, 8-15
  };
  static constexpr int kWidth = 16;
  // matmul_tile_halves: 4 rows x 3 tokens of 8-lane accumulators, 12 registers per pass.
  static constexpr int kTileRows = 4, kTileTokens = 3;

  // One 8-lane register: lanes 0-7 or 8-15 of a V. Every lane-wise step on a V is the same
  // operation on its two halves, so a kernel may run the halves in separate passes
  // (kernels_impl-inl.h, matmul_tile_halves) and join them before the reduction.
  struct Half {
    using H = __m256;
    static H zero() { return _mm256_setzero_ps(); }
    static H load(const float* p) { return _mm256_loadu_ps(p); }
    static H load_bf16(const std::byte* p) { return bf16x8(p); }
    static H load_f16(const std::byte* p) { return f16x8(p); }
    static H fmadd(H a, H b, H c) { return _mm256_fmadd_ps(a, b, c); }
    static V join(H lo, H hi) { return {lo, hi}; }
  };

  static V zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static V set1(float f) { return {_mm256_set1_ps(f), _mm256_set1_ps(f)}; }
  static V load(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
  static void store(float* p, V v) {
    _mm256_storeu_ps(p, v.lo);
    _mm256_storeu_ps(p + 8, v.hi);
  }
  static V load_bf16(const std::byte* p) { return {bf16x8(p), bf16x8(p + 16)}; }
  static V load_f16(const std::byte* p) { return {f16x8(p), f16x8(p + 16)}; }
  // 16 signed bytes as floats (exact).
  static V load_i8(const int8_t* p) { return {i8x8(p), i8x8(p + 8)}; }
  static V fmadd(V a, V b, V c) {
    return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
  }
  static V mul(V a, V b) { return {_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)}; }
  static V add(V a, V b) { return {_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; }
  static V sub(V a, V b) { return {_mm256_sub_ps(a.lo, b.lo), _mm256_sub_ps(a.hi, b.hi)}; }
  static V max(V a, V b) { return {_mm256_max_ps(a.lo, b.lo), _mm256_max_ps(a.hi, b.hi)}; }
  static V div(V a, V b) { return {_mm256_div_ps(a.lo, b.lo), _mm256_div_ps(a.hi, b.hi)}; }
  // Halving: lanes i + 8, then i + 4, i + 2, i + 1 (Avx512::reduce_add's tree).
  static float reduce_add(V v) { return halve_add(_mm256_add_ps(v.lo, v.hi)); }
  static float reduce_max(V v) {
    const __m256 m = _mm256_max_ps(v.lo, v.hi);
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // Lane i = the sum of v[i]'s lanes, in Avx512::sum_lanes_of_16's order: the same in-lane
  // unpacks per 128-bit lane (lo holds 128-bit lanes 0-1, hi 2-3), then the cross-lane sums with
  // permute2f128 where AVX-512 uses shuffle_f32x4.
  static V sum_lanes_of_16(const V* v) {
    V t[8], u[4];
    for (int k = 0; k < 8; ++k) {  // per 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3]
      t[k].lo = _mm256_add_ps(_mm256_unpacklo_ps(v[2 * k].lo, v[2 * k + 1].lo),
                              _mm256_unpackhi_ps(v[2 * k].lo, v[2 * k + 1].lo));
      t[k].hi = _mm256_add_ps(_mm256_unpacklo_ps(v[2 * k].hi, v[2 * k + 1].hi),
                              _mm256_unpackhi_ps(v[2 * k].hi, v[2 * k + 1].hi));
    }
    for (int k = 0; k < 4; ++k) {  // per 128-bit lane: one partial sum of each of 4 vectors
      u[k].lo = pair_add(t[2 * k].lo, t[2 * k + 1].lo);
      u[k].hi = pair_add(t[2 * k].hi, t[2 * k + 1].hi);
    }
    // Across 128-bit lanes: w = [u0 L0+L1, u0 L2+L3 | u1 L0+L1, u1 L2+L3], then the same again.
    const V w0{cross_add(u[0]), cross_add(u[1])}, w1{cross_add(u[2]), cross_add(u[3])};
    return {cross_add(w0), cross_add(w1)};
  }
  // exp(x) to about 2 ulp for x in [-87, 88]; 0 below. Lane for lane Avx512::exp's numbers.
  static V exp(V x) { return {exp8(x.lo), exp8(x.hi)}; }

 private:
  static __m256 bf16x8(const std::byte* p) {
    const __m256i wide =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
  static __m256 i8x8(const int8_t* p) {
    return _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  static __m256 f16x8(const std::byte* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static float halve_add(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static __m256 pair_add(__m256 a, __m256 b) {
    const __m256d da = _mm256_castps_pd(a), db = _mm256_castps_pd(b);
    return _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(da, db)),
                         _mm256_castpd_ps(_mm256_unpackhi_pd(da, db)));
  }
  // [lo L0 + lo L1, hi L0 + hi L1] of a 16-lane vector's four 128-bit lanes.
  static __m256 cross_add(V v) {
    return _mm256_add_ps(_mm256_permute2f128_ps(v.lo, v.hi, 0x20),
                         _mm256_permute2f128_ps(v.lo, v.hi, 0x31));
  }
  static __m256 exp8(__m256 x) {
    const __m256 clamped = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(clamped, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), clamped);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // 2^n built in the exponent field: n >= -126 here because x >= -87.34 is kept, so this is
    // the exact product scalef gives on AVX-512.
    const __m256i n_int = _mm256_cvtps_epi32(_mm256_max_ps(n, _mm256_set1_ps(-126.0f)));
    const __m256i pow2 = _mm256_slli_epi32(_mm256_add_epi32(n_int, _mm256_set1_epi32(127)), 23);
    const __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(pow2));
    const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3365447504f), _CMP_LT_OQ);
    return _mm256_blendv_ps(result, _mm256_setzero_ps(), underflow);
  }
};

}  // namespace junction::kernels
