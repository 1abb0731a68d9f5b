// Half and bfloat16 conversions against the CPU's own conversion instructions (an independent
// implementation: F16C on x86-64, FCVT on ARM64) and IEEE rounding rules.
#include <gtest/gtest.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include <cmath>
#include <cstring>
#include <random>

#include "core/dtype.h"

namespace junction {
namespace {

#if defined(__x86_64__)
bool cpu_has_f16c() {
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
}
#else
bool cpu_has_f16c() {  // ARMv8-A converts half precision in its baseline
  return true;
}
#endif

bool same_bits_or_both_nan(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

#if defined(__x86_64__)
__attribute__((target("f16c"))) float hardware_f16_to_f32(uint16_t h) {
  return _cvtsh_ss(h);
}
__attribute__((target("f16c"))) uint16_t hardware_f32_to_f16(float f) {
  return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT);
}
#else
// FCVT in the default rounding mode (to nearest, ties to even), IEEE half (FPCR.AHP = 0).
float hardware_f16_to_f32(uint16_t h) {
  return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}
uint16_t hardware_f32_to_f16(float f) {
  return vget_lane_u16(vreinterpret_u16_f16(vcvt_f16_f32(vdupq_n_f32(f))), 0);
}
#endif

TEST(DType, F16ToF32MatchesHardwareForAllValues) {
  if (!cpu_has_f16c()) GTEST_SKIP() << "no F16C on this CPU";
  for (uint32_t h = 0; h < 65536; ++h)
    ASSERT_TRUE(same_bits_or_both_nan(f16_to_f32(static_cast<uint16_t>(h)), hardware_f16_to_f32(h)))
        << h;
}

TEST(DType, F32ToF16MatchesHardwareRounding) {
  if (!cpu_has_f16c()) GTEST_SKIP() << "no F16C on this CPU";
  std::mt19937 rng(1);
  for (int i = 0; i < 2000000; ++i) {
    const uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isnan(f)) continue;
    ASSERT_EQ(f32_to_f16(f), hardware_f32_to_f16(f)) << f;
  }
  for (float f : {0.0f, -0.0f, 65504.0f, 65520.0f, 1e-8f, 5.96e-8f, 2.98e-8f, 6.1e-5f, INFINITY})
    EXPECT_EQ(f32_to_f16(f), hardware_f32_to_f16(f)) << f;
}

TEST(DType, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even mantissa (1.0).
  EXPECT_EQ(f32_to_bf16(1.00390625f), 0x3f80);
  // 1 + 3 * 2^-8 lies between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up to even.
  EXPECT_EQ(f32_to_bf16(1.01171875f), 0x3f82);
  EXPECT_EQ(bf16_to_f32(0x3f82), 1.015625f);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

}  // namespace
}  // namespace junction
