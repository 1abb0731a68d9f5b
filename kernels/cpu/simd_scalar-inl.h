// 16-lane "vectors" of plain floats: the portable fallback that runs the same kernel templates
// anywhere.
//
// 16 lanes, not 1, so that the scalar level adds in exactly the AVX-512 level's order (see
// simd_avx2-inl.h for why that order matters): lane-wise steps are the same IEEE operations
// (std::fma is exact without an FMA unit too), reduce_add and sum_lanes_of_16 follow
// simd_avx512-inl.h's trees, and exp is its polynomial, not std::exp. The compiler keeps the lanes
// in whatever registers the target has; this level is for correctness on any CPU, not speed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "core/dtype.h"

namespace junction::kernels {

struct Scalar {
  struct V {
    float v[16];
  };
  static constexpr int kWidth = 16;
  static constexpr int kTileRows = 2, kTileTokens = 2;

  static V zero() { return set1(0.0f); }
  static V set1(float f) {
    V r;
    std::fill_n(r.v, 16, f);
    return r;
  }
  static V load(const float* p) {
    V r;
    std::memcpy(r.v, p, sizeof(r.v));
    return r;
  }
  static void store(float* p, V v) { std::memcpy(p, v.v, sizeof(v.v)); }
  static V load_bf16(const std::byte* p) {
    V r;
    for (int i = 0; i < 16; ++i) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      r.v[i] = bf16_to_f32(h);
    }
    return r;
  }
  static V load_f16(const std::byte* p) {
    V r;
    for (int i = 0; i < 16; ++i) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      r.v[i] = f16_to_f32(h);
    }
    return r;
  }
  static V fmadd(V a, V b, V c) {
    for (int i = 0; i < 16; ++i) c.v[i] = std::fma(a.v[i], b.v[i], c.v[i]);
    return c;
  }
  static V mul(V a, V b) {
    for (int i = 0; i < 16; ++i) a.v[i] *= b.v[i];
    return a;
  }
  static V add(V a, V b) {
    for (int i = 0; i < 16; ++i) a.v[i] += b.v[i];
    return a;
  }
  static V sub(V a, V b) {
    for (int i = 0; i < 16; ++i) a.v[i] -= b.v[i];
    return a;
  }
  static V max(V a, V b) {
    for (int i = 0; i < 16; ++i) a.v[i] = std::max(a.v[i], b.v[i]);
    return a;
  }
  static V div(V a, V b) {
    for (int i = 0; i < 16; ++i) a.v[i] /= b.v[i];
    return a;
  }
  // Halving: lanes i + 8, then i + 4, i + 2, i + 1 (Avx512::reduce_add's tree).
  static float reduce_add(V a) {
    for (int half = 8; half >= 1; half /= 2)
      for (int i = 0; i < half; ++i) a.v[i] += a.v[i + half];
    return a.v[0];
  }
  static float reduce_max(V a) { return *std::max_element(a.v, a.v + 16); }
  // Lane i = the sum of v[i]'s lanes in Avx512::sum_lanes_of_16's order: within each group of 4
  // lanes (x0 + x2) + (x1 + x3), then (g0 + g1) + (g2 + g3).
  static V sum_lanes_of_16(const V* v) {
    V r;
    for (int j = 0; j < 16; ++j) {
      const float* x = v[j].v;
      float g[4];
      for (int k = 0; k < 4; ++k) g[k] = (x[4 * k] + x[4 * k + 2]) + (x[4 * k + 1] + x[4 * k + 3]);
      r.v[j] = (g[0] + g[1]) + (g[2] + g[3]);
    }
    return r;
  }
  // Avx512::exp lane for lane: exp(x) to about 2 ulp for x in [-87, 88]; 0 below.
  static V exp(V a) {
    for (float& x : a.v) x = exp1(x);
    return a;
  }

 private:
  static float exp1(float x) {
    if (x < -87.3365447504f) return 0.0f;
    const float clamped = std::min(x, 88.3762626647949f);
    const float n = std::nearbyint(clamped * 1.44269504088896341f);  // ties to even
    float r = std::fma(-n, 0.693359375f, clamped);
    r = std::fma(-n, -2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = std::fma(p, r, 1.3981999507e-3f);
    p = std::fma(p, r, 8.3334519073e-3f);
    p = std::fma(p, r, 4.1665795894e-2f);
    p = std::fma(p, r, 1.6666665459e-1f);
    p = std::fma(p, r, 5.0000001201e-1f);
    p = std::fma(p, r * r, r + 1.0f);
    return std::ldexp(p, static_cast<int>(n));  // exact: x >= -87.34 keeps n >= -126
  }
};

}  // namespace junction::kernels
