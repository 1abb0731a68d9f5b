#include "kernels/quant/quant_ref.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace junction::quant {
namespace {

float h2f(uint16_t h) {
  return f16_to_f32(h);
}

// The 64-element chunks of Q4_K / Q5_K: each byte of qs holds element l (low nibble, sub-block
// 2c) and element l + 32 (high nibble, sub-block 2c + 1) of chunk c.
template <class Block>
void k4_chunk_scales(const Block& b, int chunk, float d, float dmin, float* d1, float* m1,
                     float* d2, float* m2) {
  uint8_t sc, m;
  scale_min_k4(2 * chunk, b.scales, &sc, &m);
  *d1 = d * sc;
  *m1 = dmin * m;
  scale_min_k4(2 * chunk + 1, b.scales, &sc, &m);
  *d2 = d * sc;
  *m2 = dmin * m;
}

void dequantize_q4_k(const BlockQ4_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = h2f(x[i].d), dmin = h2f(x[i].dmin);
    const uint8_t* q = x[i].qs;
    for (int c = 0; c < 4; ++c, q += 32) {
      float d1, m1, d2, m2;
      k4_chunk_scales(x[i], c, d, dmin, &d1, &m1, &d2, &m2);
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

void dequantize_q5_k(const BlockQ5_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = h2f(x[i].d), dmin = h2f(x[i].dmin);
    const uint8_t* q = x[i].qs;
    uint8_t u1 = 1, u2 = 2;
    for (int c = 0; c < 4; ++c, q += 32, u1 <<= 2, u2 <<= 2) {
      float d1, m1, d2, m2;
      k4_chunk_scales(x[i], c, d, dmin, &d1, &m1, &d2, &m2);
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((q[l] & 0xF) + (x[i].qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((q[l] >> 4) + (x[i].qh[l] & u2 ? 16 : 0)) - m2;
    }
  }
}

// Q6_K element e of a block as (6-bit value - 32) and its 16-element group's scale index.
void q6_k_values(const BlockQ6_K& b, int8_t* q /*[256]*/) {
  const uint8_t* ql = b.ql;
  const uint8_t* qh = b.qh;
  for (int n = 0; n < kQK_K; n += 128, ql += 64, qh += 32) {
    for (int l = 0; l < 32; ++l) {
      q[n + l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
      q[n + l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
      q[n + l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
      q[n + l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

void dequantize_q6_k(const BlockQ6_K* x, float* y, int64_t nb) {
  int8_t q[kQK_K];
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = h2f(x[i].d);
    q6_k_values(x[i], q);
    // Element e belongs to group e / 16; ggml evaluates d * scale first, then * q.
    for (int e = 0; e < kQK_K; ++e) y[e] = d * x[i].scales[e / 16] * q[e];
  }
}

// The 32 integer values of a legacy block, and its scale/min.
void legacy_values(DType type, const std::byte* block, int* q, float* d, float* m) {
  *m = 0.0f;
  switch (type) {
    case DType::Q4_0: {
      const auto* b = reinterpret_cast<const BlockQ4_0*>(block);
      *d = h2f(b->d);
      for (int j = 0; j < 16; ++j) {
        q[j] = (b->qs[j] & 0x0F) - 8;
        q[j + 16] = (b->qs[j] >> 4) - 8;
      }
      return;
    }
    case DType::Q4_1: {
      const auto* b = reinterpret_cast<const BlockQ4_1*>(block);
      *d = h2f(b->d);
      *m = h2f(b->m);
      for (int j = 0; j < 16; ++j) {
        q[j] = b->qs[j] & 0x0F;
        q[j + 16] = b->qs[j] >> 4;
      }
      return;
    }
    case DType::Q5_0:
    case DType::Q5_1: {
      const bool has_min = type == DType::Q5_1;
      const uint8_t* qh_bytes = has_min ? reinterpret_cast<const BlockQ5_1*>(block)->qh
                                        : reinterpret_cast<const BlockQ5_0*>(block)->qh;
      const uint8_t* qs = has_min ? reinterpret_cast<const BlockQ5_1*>(block)->qs
                                  : reinterpret_cast<const BlockQ5_0*>(block)->qs;
      uint16_t dh;
      std::memcpy(&dh, block, 2);
      *d = h2f(dh);
      if (has_min) {
        uint16_t mh;
        std::memcpy(&mh, block + 2, 2);
        *m = h2f(mh);
      }
      uint32_t qh;
      std::memcpy(&qh, qh_bytes, 4);
      for (int j = 0; j < 16; ++j) {
        const int h0 = ((qh >> j) << 4) & 0x10;
        const int h1 = (qh >> (j + 12)) & 0x10;
        q[j] = ((qs[j] & 0x0F) | h0) - (has_min ? 0 : 16);
        q[j + 16] = ((qs[j] >> 4) | h1) - (has_min ? 0 : 16);
      }
      return;
    }
    case DType::Q8_0: {
      const auto* b = reinterpret_cast<const BlockQ8_0*>(block);
      *d = h2f(b->d);
      for (int j = 0; j < 32; ++j) q[j] = b->qs[j];
      return;
    }
    default:
      throw Error("not a legacy quantized type: " + std::string(dtype_name(type)));
  }
}

}  // namespace

void dequantize_row(DType type, const std::byte* row, float* out, int64_t n) {
  const int64_t nb = n / block_elements(type);
  switch (type) {
    case DType::F32:
      std::memcpy(out, row, n * 4);
      return;
    case DType::F16:
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        out[i] = type == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
      }
      return;
    case DType::Q4_K:
      return dequantize_q4_k(reinterpret_cast<const BlockQ4_K*>(row), out, nb);
    case DType::Q5_K:
      return dequantize_q5_k(reinterpret_cast<const BlockQ5_K*>(row), out, nb);
    case DType::Q6_K:
      return dequantize_q6_k(reinterpret_cast<const BlockQ6_K*>(row), out, nb);
    case DType::Q8_K: {
      const auto* x = reinterpret_cast<const BlockQ8_K*>(row);
      for (int64_t i = 0; i < nb; ++i)
        for (int j = 0; j < kQK_K; ++j) *out++ = x[i].d * x[i].qs[j];
      return;
    }
    default: {
      int q[kQK];
      float d, m;
      for (int64_t i = 0; i < nb; ++i) {
        legacy_values(type, row + i * block_bytes(type), q, &d, &m);
        // ggml: x*d for the symmetric types, x*d + m for those with a minimum.
        if (type == DType::Q4_1 || type == DType::Q5_1) {
          for (int j = 0; j < kQK; ++j) *out++ = q[j] * d + m;
        } else {
          for (int j = 0; j < kQK; ++j) *out++ = q[j] * d;
        }
      }
    }
  }
}

void quantize_row_q8_0(const float* x, BlockQ8_0* out, int64_t n) {
  // As ggml's CPU backend quantizes activations (not its _ref used for files): multiply by
  // 127 / amax and round half to even.
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    out[i].d = f32_to_f16(d);
    for (int j = 0; j < kQK; ++j) out[i].qs[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
  }
}

void quantize_row_q8_K(const float* x, BlockQ8_K* out, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float max = 0.0f, amax = 0.0f;
    for (int j = 0; j < kQK_K; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    BlockQ8_K& b = out[i];
    if (amax == 0.0f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQK_K; ++j)
      b.qs[j] = static_cast<int8_t>(std::min(127, static_cast<int>(std::nearbyint(iscale * x[j]))));
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += b.qs[g * 16 + j];
      b.bsums[g] = static_cast<int16_t>(sum);
    }
    b.d = 1.0f / iscale;
  }
}

namespace {

// Code l (0..31) of sub-block sub of a Q4_K / Q5_K block: a nibble of the 64-element chunk
// sub / 2 (low for even sub-blocks, high for odd ones), plus 16 if qh carries its fifth bit.
int k_code(const uint8_t* qs, const uint8_t* qh, int sub, int l) {
  const uint8_t byte = qs[(sub / 2) * 32 + l];
  const int v = sub % 2 ? byte >> 4 : byte & 0xF;
  return qh != nullptr && (qh[l] & (1 << sub)) ? v + 16 : v;
}

// Q5_K in the float order of ggml's x86 kernel (AVX2, also what it runs on AVX-512 machines),
// which produced llama.cpp's reference outputs. Lane k (0..7) holds the scaled integer sum of
// elements 4k..4k+3 of every 32-element sub-block; each super-block adds y.d * d * lane to a
// float accumulator per lane with one fused multiply-add, the minima (-y.d * dmin * sum) go to a
// scalar sum, also fused, and the
// lanes are added as ((0+4) + (2+6)) + ((1+5) + (3+7)) at the end. Any order is equally accurate,
// but a last-bit difference here can flip the int8 rounding of the next layer's activations,
// which moves the log-probabilities of these small test models by several hundredths. The SIMD
// kernels follow the same order, so they equal this reference exactly.
float vec_dot_q5_k(const BlockQ5_K* x, const BlockQ8_K* y, int64_t n) {
  float acc[8] = {};
  float mins_sum = 0.0f;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int lanes[8] = {};
    int mins = 0;
    for (int sub = 0; sub < 8; ++sub) {
      uint8_t sc, m;
      scale_min_k4(sub, x[i].scales, &sc, &m);
      for (int l = 0; l < 32; ++l)
        lanes[l / 4] += sc * k_code(x[i].qs, x[i].qh, sub, l) * y[i].qs[sub * 32 + l];
      mins += m * (y[i].bsums[2 * sub] + y[i].bsums[2 * sub + 1]);
    }
    const float d = y[i].d * h2f(x[i].d);
    for (int k = 0; k < 8; ++k) acc[k] = std::fma(d, static_cast<float>(lanes[k]), acc[k]);
    // ggml's compiler fuses this multiply-add (its CPU code is built with -march=native).
    mins_sum = std::fma(-y[i].d * h2f(x[i].dmin), static_cast<float>(mins), mins_sum);
  }
  const float lanes_sum =
      ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
  return lanes_sum + mins_sum;
}

}  // namespace

ActivationFormat activation_format(DType weight_type) {
  return block_elements(weight_type) == kQK_K ? ActivationFormat::kQ8_K : ActivationFormat::kQ8_0;
}

float vec_dot_ref(DType type, const std::byte* row, const void* activations, int64_t n) {
  if (activation_format(type) == ActivationFormat::kQ8_0) {
    const auto* y = static_cast<const BlockQ8_0*>(activations);
    float sum = 0.0f;
    int q[kQK];
    for (int64_t i = 0; i < n / kQK; ++i) {
      float d, m;
      legacy_values(type, row + i * block_bytes(type), q, &d, &m);
      int dot = 0, ysum = 0;
      for (int j = 0; j < kQK; ++j) {
        dot += q[j] * y[i].qs[j];
        ysum += y[i].qs[j];
      }
      const float dy = h2f(y[i].d);
      sum += d * dy * static_cast<float>(dot) + m * dy * static_cast<float>(ysum);
    }
    return sum;
  }
  const auto* y = static_cast<const BlockQ8_K*>(activations);
  if (type == DType::Q5_K) return vec_dot_q5_k(reinterpret_cast<const BlockQ5_K*>(row), y, n);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    if (type == DType::Q6_K) {
      const auto& b = reinterpret_cast<const BlockQ6_K*>(row)[i];
      int8_t q[kQK_K];
      q6_k_values(b, q);
      int total = 0;
      for (int g = 0; g < kQK_K / 16; ++g) {
        int dot = 0;
        for (int j = 0; j < 16; ++j) dot += q[g * 16 + j] * y[i].qs[g * 16 + j];
        total += b.scales[g] * dot;
      }
      sum += h2f(b.d) * y[i].d * static_cast<float>(total);
    } else if (type == DType::Q4_K) {
      const BlockQ4_K& b = reinterpret_cast<const BlockQ4_K*>(row)[i];
      int scaled = 0, mins = 0;
      for (int sub = 0; sub < 8; ++sub) {
        uint8_t sc, m;
        scale_min_k4(sub, b.scales, &sc, &m);
        int dot = 0;
        for (int l = 0; l < 32; ++l) dot += k_code(b.qs, nullptr, sub, l) * y[i].qs[sub * 32 + l];
        scaled += sc * dot;
        mins += m * (y[i].bsums[2 * sub] + y[i].bsums[2 * sub + 1]);
      }
      sum += y[i].d * h2f(b.d) * static_cast<float>(scaled) -
             y[i].d * h2f(b.dmin) * static_cast<float>(mins);
    } else {
      throw Error("no dot product for " + std::string(dtype_name(type)));
    }
  }
  return sum;
}

}  // namespace junction::quant
