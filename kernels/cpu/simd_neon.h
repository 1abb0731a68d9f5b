// 4-lane float32 vectors on ARM64 Advanced SIMD (NEON, in every ARMv8-A core): the same interface
// as simd_avx2.h, so kernels_impl.h's templates run unchanged. Included only by ARM64 translation
// units (kernels_neon.cc, kernels_dotprod.cc).
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

namespace junction::kernels {

struct Neon {
  using V = float32x4_t;
  static constexpr int kWidth = 4;
  static V zero() { return vdupq_n_f32(0.0f); }
  static V set1(float f) { return vdupq_n_f32(f); }
  static V load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, V v) { vst1q_f32(p, v); }
  // bf16 is the high half of a float32: widen to 32 bits and shift into place.
  static V load_bf16(const std::byte* p) {
    const uint16x4_t h = vld1_u16(reinterpret_cast<const uint16_t*>(p));
    return vreinterpretq_f32_u32(vshll_n_u16(h, 16));
  }
  // FCVTL: exact, subnormals and infinities included, like core/dtype.h's f16_to_f32.
  static V load_f16(const std::byte* p) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p))));
  }
  static V fmadd(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  static V add(V a, V b) { return vaddq_f32(a, b); }
  static V sub(V a, V b) { return vsubq_f32(a, b); }
  static V max(V a, V b) { return vmaxq_f32(a, b); }
  static V div(V a, V b) { return vdivq_f32(a, b); }
  // (v0 + v2) + (v1 + v3): the order Avx2::reduce_add gives its last four partial sums.
  static float reduce_add(V v) {
    const float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(vpadd_f32(s, s), 0);
  }
  static float reduce_max(V v) { return vmaxvq_f32(v); }
  // exp(x) to about 2 ulp for x in [-87, 88]; 0 below: Avx2::exp's range reduction and
  // polynomial, operation for operation.
  static V exp(V x) {
    const V clamped = vminq_f32(x, set1(88.3762626647949f));
    const V n = vrndnq_f32(vmulq_f32(clamped, set1(1.44269504088896341f)));
    V r = vfmsq_f32(clamped, n, set1(0.693359375f));
    r = vfmsq_f32(r, n, set1(-2.12194440e-4f));
    V p = set1(1.9875691500e-4f);
    p = fmadd(p, r, set1(1.3981999507e-3f));
    p = fmadd(p, r, set1(8.3334519073e-3f));
    p = fmadd(p, r, set1(4.1665795894e-2f));
    p = fmadd(p, r, set1(1.6666665459e-1f));
    p = fmadd(p, r, set1(5.0000001201e-1f));
    p = fmadd(p, vmulq_f32(r, r), vaddq_f32(r, set1(1.0f)));
    // 2^n built in the exponent field; n >= -126 here because x >= -87.34 is kept.
    const int32x4_t n_int = vcvtq_s32_f32(vmaxq_f32(n, set1(-126.0f)));
    const int32x4_t pow2 = vshlq_n_s32(vaddq_s32(n_int, vdupq_n_s32(127)), 23);
    const V result = vmulq_f32(p, vreinterpretq_f32_s32(pow2));
    const uint32x4_t underflow = vcltq_f32(x, set1(-87.3365447504f));
    return vbslq_f32(underflow, zero(), result);
  }
};

}  // namespace junction::kernels
