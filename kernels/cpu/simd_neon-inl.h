// 16-lane float32 vectors on ARM64 Advanced SIMD (NEON, in every ARMv8-A core), each four
// 4-lane registers: the interface of simd_avx2-inl.h, so kernels_impl-inl.h's templates run
// unchanged. Included only by ARM64 translation units (kernels_neon.cc, kernels_dotprod.cc).
//
// 16 lanes, not 4, for the reason simd_avx2-inl.h gives: every level adds in exactly the AVX-512
// level's order (lane-wise steps are the same IEEE operations; reduce_add and sum_lanes_of_16
// follow simd_avx512-inl.h's trees; exp is its polynomial), so ARM64 gives the numbers of every x86
// level bit for bit. NEON has 32 registers, so matmul_tile's 2 x 2 tiles of 4-register
// accumulators fit with room for the weights and activations.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

namespace junction::kernels {

struct Neon {
  struct V {
    float32x4_t q[4];  // lanes 0-3, 4-7, 8-11, 12-15
  };
  static constexpr int kWidth = 16;
  static constexpr int kTileRows = 2, kTileTokens = 2;  // matmul_tile: 16 accumulator registers

  static V zero() { return set1(0.0f); }
  static V set1(float f) {
    const float32x4_t v = vdupq_n_f32(f);
    return {{v, v, v, v}};
  }
  static V load(const float* p) {
    return {{vld1q_f32(p), vld1q_f32(p + 4), vld1q_f32(p + 8), vld1q_f32(p + 12)}};
  }
  static void store(float* p, V v) {
    for (int k = 0; k < 4; ++k) vst1q_f32(p + 4 * k, v.q[k]);
  }
  // bf16 is the high half of a float32: widen to 32 bits and shift into place.
  static V load_bf16(const std::byte* p) {
    const auto* h = reinterpret_cast<const uint16_t*>(p);
    V r;
    for (int k = 0; k < 4; ++k)
      r.q[k] = vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(h + 4 * k), 16));
    return r;
  }
  // FCVTL: exact, subnormals and infinities included, like core/dtype.h's f16_to_f32.
  static V load_f16(const std::byte* p) {
    const auto* h = reinterpret_cast<const uint16_t*>(p);
    V r;
    for (int k = 0; k < 4; ++k) r.q[k] = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h + 4 * k)));
    return r;
  }
  static V fmadd(V a, V b, V c) {
    for (int k = 0; k < 4; ++k) c.q[k] = vfmaq_f32(c.q[k], a.q[k], b.q[k]);
    return c;
  }
  static V mul(V a, V b) {
    for (int k = 0; k < 4; ++k) a.q[k] = vmulq_f32(a.q[k], b.q[k]);
    return a;
  }
  static V add(V a, V b) {
    for (int k = 0; k < 4; ++k) a.q[k] = vaddq_f32(a.q[k], b.q[k]);
    return a;
  }
  static V sub(V a, V b) {
    for (int k = 0; k < 4; ++k) a.q[k] = vsubq_f32(a.q[k], b.q[k]);
    return a;
  }
  static V max(V a, V b) {
    for (int k = 0; k < 4; ++k) a.q[k] = vmaxq_f32(a.q[k], b.q[k]);
    return a;
  }
  static V div(V a, V b) {
    for (int k = 0; k < 4; ++k) a.q[k] = vdivq_f32(a.q[k], b.q[k]);
    return a;
  }
  // Halving: lanes i + 8, then i + 4, i + 2, i + 1 (Avx512::reduce_add's tree).
  static float reduce_add(V v) {
    const float32x4_t s = vaddq_f32(vaddq_f32(v.q[0], v.q[2]), vaddq_f32(v.q[1], v.q[3]));
    const float32x2_t h = vadd_f32(vget_low_f32(s), vget_high_f32(s));
    return vget_lane_f32(vpadd_f32(h, h), 0);
  }
  static float reduce_max(V v) {  // exact in any order
    return vmaxvq_f32(vmaxq_f32(vmaxq_f32(v.q[0], v.q[1]), vmaxq_f32(v.q[2], v.q[3])));
  }
  // Lane j = the sum of v[j]'s lanes in Avx512::sum_lanes_of_16's order: within each group of 4
  // lanes (x0 + x2) + (x1 + x3), then (g0 + g1) + (g2 + g3). Four vectors' groups at a time:
  // the halves' sums side by side, then one pairwise add.
  static V sum_lanes_of_16(const V* v) {
    V r;
    for (int j = 0; j < 16; j += 4) {
      float32x4_t g[4];
      for (int k = 0; k < 4; ++k) {
        float32x2_t h[4];
        for (int i = 0; i < 4; ++i)
          h[i] = vadd_f32(vget_low_f32(v[j + i].q[k]), vget_high_f32(v[j + i].q[k]));
        g[k] = vpaddq_f32(vcombine_f32(h[0], h[1]), vcombine_f32(h[2], h[3]));
      }
      r.q[j / 4] = vaddq_f32(vaddq_f32(g[0], g[1]), vaddq_f32(g[2], g[3]));
    }
    return r;
  }
  // exp(x) to about 2 ulp for x in [-87, 88]; 0 below: Avx512::exp's range reduction and
  // polynomial, operation for operation.
  static V exp(V x) {
    for (int k = 0; k < 4; ++k) x.q[k] = exp4(x.q[k]);
    return x;
  }

 private:
  static float32x4_t exp4(float32x4_t x) {
    const float32x4_t clamped = vminq_f32(x, vdupq_n_f32(88.3762626647949f));
    const float32x4_t n = vrndnq_f32(vmulq_f32(clamped, vdupq_n_f32(1.44269504088896341f)));
    float32x4_t r = vfmsq_f32(clamped, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
    // 2^n built in the exponent field; n >= -126 here because x >= -87.34 is kept.
    const int32x4_t n_int = vcvtq_s32_f32(vmaxq_f32(n, vdupq_n_f32(-126.0f)));
    const int32x4_t pow2 = vshlq_n_s32(vaddq_s32(n_int, vdupq_n_s32(127)), 23);
    const float32x4_t result = vmulq_f32(p, vreinterpretq_f32_s32(pow2));
    const uint32x4_t underflow = vcltq_f32(x, vdupq_n_f32(-87.3365447504f));
    return vbslq_f32(underflow, vdupq_n_f32(0.0f), result);
  }
};

}  // namespace junction::kernels
