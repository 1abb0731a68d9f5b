// One-lane "vectors": the portable fallback that runs the same kernel templates anywhere.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "core/dtype.h"

namespace junction::kernels {

struct Scalar {
  using V = float;
  static constexpr int kWidth = 1;
  static V zero() { return 0.0f; }
  static V set1(float f) { return f; }
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V load_bf16(const std::byte* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return bf16_to_f32(h);
  }
  static V load_f16(const std::byte* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return f16_to_f32(h);
  }
  static V fmadd(V a, V b, V c) { return std::fma(a, b, c); }
  static V mul(V a, V b) { return a * b; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V max(V a, V b) { return std::max(a, b); }
  static V div(V a, V b) { return a / b; }
  static float reduce_add(V v) { return v; }
  static float reduce_max(V v) { return v; }
  static V exp(V x) { return x < -87.3365447504f ? 0.0f : std::exp(x); }
};

}  // namespace junction::kernels
