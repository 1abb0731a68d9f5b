#include "quantize/quantize_row.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/quant/quant_blocks.h"

namespace junction::quant {
namespace {

constexpr float kTinyGroup = 1e-15f;  // a group whose largest |x| is below this is all zeros

// Round half to even, as ggml's nearest_int does (valid for |v| < 2^22).
int round_even(float v) {
  return static_cast<int>(std::nearbyint(v));
}

// --- legacy 32-element blocks ---------------------------------------------------------------

void q8_0(const float* x, BlockQ8_0* y, int64_t n_blocks) {
  for (int64_t b = 0; b < n_blocks; ++b, x += kQK) {
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = f32_to_f16(d);
    for (int j = 0; j < kQK; ++j) y[b].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

// The element of largest magnitude, sign kept (the first one on ties).
float signed_extreme(const float* x, int n) {
  float amax = 0, extreme = 0;
  for (int j = 0; j < n; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      extreme = x[j];
    }
  }
  return extreme;
}

// Q4_0 and Q5_0: symmetric, the extreme maps to the most negative level (-8 or -16).
template <int kBits>
void symmetric_levels(const float* x, uint8_t* q, uint16_t* d_out) {
  constexpr int kHalf = 1 << (kBits - 1);
  const float d = signed_extreme(x, kQK) / -static_cast<float>(kHalf);
  const float id = d != 0 ? 1.0f / d : 0.0f;
  *d_out = f32_to_f16(d);
  for (int j = 0; j < kQK; ++j) {
    // Truncation after +half+0.5 (not rounding) is what ggml does; keep it for identical bytes.
    const int v = static_cast<int8_t>(x[j] * id + (static_cast<float>(kHalf) + 0.5f));
    q[j] = static_cast<uint8_t>(std::min(2 * kHalf - 1, v));
  }
}

// Q4_1 and Q5_1: asymmetric, [min, max] spread over 2^bits levels.
template <int kBits>
void asymmetric_levels(const float* x, uint8_t* q, uint16_t* d_out, uint16_t* m_out) {
  float lo = x[0], hi = x[0];
  for (int j = 1; j < kQK; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
  const float d = (hi - lo) / static_cast<float>((1 << kBits) - 1);
  const float id = d != 0 ? 1.0f / d : 0.0f;
  *d_out = f32_to_f16(d);
  *m_out = f32_to_f16(lo);
  for (int j = 0; j < kQK; ++j) {
    const int v = static_cast<int8_t>((x[j] - lo) * id + 0.5f);
    q[j] = static_cast<uint8_t>(kBits == 4 ? std::min(15, v) : v);
  }
}

void pack_nibbles(const uint8_t* q, uint8_t* qs) {
  for (int j = 0; j < kQK / 2; ++j)
    qs[j] = static_cast<uint8_t>((q[j] & 15) | ((q[j + kQK / 2] & 15) << 4));
}

void pack_fifth_bits(const uint8_t* q, uint8_t* qh) {
  uint32_t bits = 0;
  for (int j = 0; j < kQK; ++j) bits |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
  std::memcpy(qh, &bits, 4);
}

// --- K-quant helpers -------------------------------------------------------------------------

// Asymmetric levels 0..n_levels for one sub-block: x ~ scale * L - m with m >= 0. Starts from
// the [min, max] grid, then tries n_steps + 1 slightly stretched grids; for each, the weighted
// least-squares scale and offset given those levels, keeping the lowest weighted error.
// Returns the scale; *neg_min receives m.
//
// Each trial grid is anchored at the best offset found so far, not at the block minimum: once a
// fit improves, later grids start from its offset and divide by (max - offset). That is how
// llama-quantize searches, and following it keeps our K-quant blocks byte-identical to its files
// (anchoring every grid at the minimum searches different grids and came out up to 0.6% worse
// in RMSE on the qbase fixture).
float fit_scale_min(int n, int n_levels, const float* x, const float* w, uint8_t* L, float* neg_min,
                    float first_stretch, float stretch_step, int n_steps) {
  float lo = x[0], hi = x[0];
  float sum_w = w[0], sum_x = w[0] * x[0];
  for (int i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (lo > 0) lo = 0;
  if (hi == lo) {
    std::fill(L, L + n, uint8_t{0});
    *neg_min = -lo;
    return 0.f;
  }
  float offset = lo;  // the anchor of the next grid as well as the fitted offset
  auto level = [&](float inv, float v) {
    return std::clamp(round_even(inv * (v - offset)), 0, n_levels);
  };
  float inv = n_levels / (hi - offset);
  float scale = 1 / inv;
  float best = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<uint8_t>(level(inv, x[i]));
    const float e = scale * L[i] + offset - x[i];
    best += w[i] * (e * e);
  }
  uint8_t trial[32];
  for (int s = 0; s <= n_steps; ++s) {
    inv = (first_stretch + stretch_step * s + n_levels) / (hi - offset);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = level(inv, x[i]);
      trial[i] = static_cast<uint8_t>(l);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det <= 0) continue;
    float s_fit = (sum_w * sum_xl - sum_x * sum_l) / det;
    float o_fit = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (o_fit > 0) {  // the format stores a subtracted minimum >= 0
      o_fit = 0;
      s_fit = sum_xl / sum_l2;
    }
    float err = 0;
    for (int i = 0; i < n; ++i) {
      const float e = s_fit * trial[i] + o_fit - x[i];
      err += w[i] * (e * e);
    }
    if (err < best) {
      std::copy(trial, trial + n, L);
      best = err;
      scale = s_fit;
      offset = o_fit;
    }
  }
  *neg_min = -offset;
  return scale;
}

// Symmetric levels -n_half..n_half-1 for one Q6_K group of 16, weights x^2: tries 19 grids around
// the one that maps the signed extreme to -n_half and keeps the best least-squares scale.
float fit_scale_symmetric(int n, int n_half, const float* x, int8_t* L) {
  const float extreme = signed_extreme(x, n);
  if (std::fabs(extreme) < kTinyGroup) {
    std::fill(L, L + n, int8_t{0});
    return 0.f;
  }
  auto level = [&](float inv, float v) {
    return std::clamp(round_even(inv * v), -n_half, n_half - 1);
  };
  auto sums = [&](float inv, float* sum_lx, float* sum_l2) {
    *sum_lx = 0;
    *sum_l2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = level(inv, x[i]);
      const float w = x[i] * x[i];
      *sum_lx += w * x[i] * l;
      *sum_l2 += w * l * l;
    }
  };
  float inv = -n_half / extreme;
  float sum_lx, sum_l2;
  sums(inv, &sum_lx, &sum_l2);
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(level(inv, x[i]) + n_half);
  float scale = sum_l2 != 0 ? sum_lx / sum_l2 : 0.0f;
  float best = scale * sum_lx;  // the error reduction sum_lx^2 / sum_l2 of this grid
  for (int s = -9; s <= 9; ++s) {
    if (s == 0) continue;
    inv = -(n_half + 0.1f * s) / extreme;
    sums(inv, &sum_lx, &sum_l2);
    if (sum_l2 > 0 && sum_lx * sum_lx > best * sum_l2) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(level(inv, x[i]) + n_half);
      scale = sum_lx / sum_l2;
      best = scale * sum_lx;
    }
  }
  return scale;
}

// Q4_K / Q5_K: eight sub-blocks of 32, each with a 6-bit scale and minimum relative to the
// super-block's f16 d and dmin. Fills L (levels 0..n_levels) and the 12 packed scale bytes.
void k_quant_asymmetric(const float* x, int n_levels, float first_stretch, int n_steps, uint8_t* L,
                        uint16_t* d_out, uint16_t* dmin_out, uint8_t* packed_scales) {
  float scales[8], mins[8], w[32];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int i = 0; i < 32; ++i) sum_x2 += xs[i] * xs[i];
    const float rms = std::sqrt(sum_x2 / 32);
    for (int i = 0; i < 32; ++i) w[i] = rms + std::fabs(xs[i]);
    scales[j] =
        fit_scale_min(32, n_levels, xs, w, L + 32 * j, &mins[j], first_stretch, 0.1f, n_steps);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  std::memset(packed_scales, 0, 12);
  for (int j = 0; j < 8; ++j) {
    const uint8_t ls = static_cast<uint8_t>(std::min(63, round_even(inv_scale * scales[j])));
    const uint8_t lm = static_cast<uint8_t>(std::min(63, round_even(inv_min * mins[j])));
    if (j < 4) {
      packed_scales[j] = ls;
      packed_scales[j + 4] = lm;
    } else {  // low 4 bits in bytes 8..11, high 2 bits in the top of bytes 0..7
      packed_scales[j + 4] = static_cast<uint8_t>((ls & 15) | ((lm & 15) << 4));
      packed_scales[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      packed_scales[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  *d_out = f32_to_f16(max_scale / 63.f);
  *dmin_out = f32_to_f16(max_min / 63.f);
  // Re-quantize against the scales as stored (6-bit, f16), which is what dequantization sees.
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    scale_min_k4(j, packed_scales, &sc, &m);
    const float d = f16_to_f32(*d_out) * sc;
    if (d == 0) continue;
    const float dm = f16_to_f32(*dmin_out) * m;
    for (int i = 0; i < 32; ++i)
      L[32 * j + i] =
          static_cast<uint8_t>(std::clamp(round_even((x[32 * j + i] + dm) / d), 0, n_levels));
  }
}

void q4_k(const float* x, BlockQ4_K* y, int64_t n_blocks) {
  uint8_t L[kQK_K];
  for (int64_t b = 0; b < n_blocks; ++b, x += kQK_K) {
    k_quant_asymmetric(x, 15, -1.0f, 20, L, &y[b].d, &y[b].dmin, y[b].scales);
    // Each 32 bytes hold two sub-blocks: the first in the low nibbles, the next in the high.
    for (int c = 0; c < 4; ++c)
      for (int i = 0; i < 32; ++i)
        y[b].qs[32 * c + i] = static_cast<uint8_t>(L[64 * c + i] | (L[64 * c + 32 + i] << 4));
  }
}

void q5_k(const float* x, BlockQ5_K* y, int64_t n_blocks) {
  uint8_t L[kQK_K];
  for (int64_t b = 0; b < n_blocks; ++b, x += kQK_K) {
    k_quant_asymmetric(x, 31, -0.5f, 15, L, &y[b].d, &y[b].dmin, y[b].scales);
    std::memset(y[b].qh, 0, sizeof(y[b].qh));
    for (int c = 0; c < 4; ++c) {
      for (int i = 0; i < 32; ++i) {
        const int lo = L[64 * c + i], hi = L[64 * c + 32 + i];
        y[b].qh[i] |= static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
        y[b].qs[32 * c + i] = static_cast<uint8_t>((lo & 15) | ((hi & 15) << 4));
      }
    }
  }
}

void q6_k(const float* x, BlockQ6_K* y, int64_t n_blocks) {
  int8_t L[kQK_K];
  float scales[kQK_K / 16];
  for (int64_t b = 0; b < n_blocks; ++b, x += kQK_K) {
    float max_scale = 0, max_abs = 0;
    for (int g = 0; g < kQK_K / 16; ++g) {
      scales[g] = fit_scale_symmetric(16, 32, x + 16 * g, L + 16 * g);
      if (std::fabs(scales[g]) > max_abs) {
        max_abs = std::fabs(scales[g]);
        max_scale = scales[g];
      }
    }
    if (max_abs < kTinyGroup) {
      std::memset(&y[b], 0, sizeof(BlockQ6_K));
      continue;
    }
    const float inv = -128.f / max_scale;
    y[b].d = f32_to_f16(1 / inv);
    for (int g = 0; g < kQK_K / 16; ++g)
      y[b].scales[g] = static_cast<int8_t>(std::min(127, round_even(inv * scales[g])));
    for (int g = 0; g < kQK_K / 16; ++g) {
      const float d = f16_to_f32(y[b].d) * y[b].scales[g];
      if (d == 0) continue;
      for (int i = 0; i < 16; ++i)
        L[16 * g + i] =
            static_cast<int8_t>(std::clamp(round_even(x[16 * g + i] / d), -32, 31) + 32);
    }
    // 128 elements per half: low nibbles of quarters 0/2 and 1/3 share bytes; the 2 high bits of
    // all four quarters share one byte.
    for (int h = 0; h < 2; ++h) {
      const int8_t* l = L + 128 * h;
      uint8_t* ql = y[b].ql + 64 * h;
      uint8_t* qh = y[b].qh + 32 * h;
      for (int i = 0; i < 32; ++i) {
        ql[i] = static_cast<uint8_t>((l[i] & 15) | ((l[i + 64] & 15) << 4));
        ql[i + 32] = static_cast<uint8_t>((l[i + 32] & 15) | ((l[i + 96] & 15) << 4));
        qh[i] = static_cast<uint8_t>((l[i] >> 4) | ((l[i + 32] >> 4) << 2) |
                                     ((l[i + 64] >> 4) << 4) | ((l[i + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace

bool can_quantize(DType type) {
  return type != DType::Q8_K;
}

void quantize_row(DType type, const float* x, std::byte* out, int64_t n) {
  if (n % block_elements(type) != 0)
    throw Error("quantize_row: " + std::to_string(n) + " elements is not a whole number of " +
                std::string(dtype_name(type)) + " blocks");
  const int64_t n_blocks = n / block_elements(type);
  uint8_t q[kQK];
  switch (type) {
    case DType::F32:
      std::memcpy(out, x, static_cast<size_t>(n) * 4);
      return;
    case DType::F16:
    case DType::BF16: {
      auto* h = reinterpret_cast<uint16_t*>(out);
      for (int64_t i = 0; i < n; ++i)
        h[i] = type == DType::F16 ? f32_to_f16(x[i]) : f32_to_bf16(x[i]);
      return;
    }
    case DType::Q8_0:
      q8_0(x, reinterpret_cast<BlockQ8_0*>(out), n_blocks);
      return;
    case DType::Q4_0:
      for (auto* y = reinterpret_cast<BlockQ4_0*>(out);
           y != reinterpret_cast<BlockQ4_0*>(out) + n_blocks; ++y, x += kQK) {
        symmetric_levels<4>(x, q, &y->d);
        pack_nibbles(q, y->qs);
      }
      return;
    case DType::Q5_0:
      for (auto* y = reinterpret_cast<BlockQ5_0*>(out);
           y != reinterpret_cast<BlockQ5_0*>(out) + n_blocks; ++y, x += kQK) {
        symmetric_levels<5>(x, q, &y->d);
        pack_nibbles(q, y->qs);
        pack_fifth_bits(q, y->qh);
      }
      return;
    case DType::Q4_1:
      for (auto* y = reinterpret_cast<BlockQ4_1*>(out);
           y != reinterpret_cast<BlockQ4_1*>(out) + n_blocks; ++y, x += kQK) {
        asymmetric_levels<4>(x, q, &y->d, &y->m);
        pack_nibbles(q, y->qs);
      }
      return;
    case DType::Q5_1:
      for (auto* y = reinterpret_cast<BlockQ5_1*>(out);
           y != reinterpret_cast<BlockQ5_1*>(out) + n_blocks; ++y, x += kQK) {
        asymmetric_levels<5>(x, q, &y->d, &y->m);
        pack_nibbles(q, y->qs);
        pack_fifth_bits(q, y->qh);
      }
      return;
    case DType::Q4_K:
      q4_k(x, reinterpret_cast<BlockQ4_K*>(out), n_blocks);
      return;
    case DType::Q5_K:
      q5_k(x, reinterpret_cast<BlockQ5_K*>(out), n_blocks);
      return;
    case DType::Q6_K:
      q6_k(x, reinterpret_cast<BlockQ6_K*>(out), n_blocks);
      return;
    case DType::Q8_K:
      break;
  }
  throw Error("quantize_row: cannot produce " + std::string(dtype_name(type)) + " weights");
}

}  // namespace junction::quant
