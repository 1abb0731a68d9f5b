#include "kernels/ref/ref_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/quant/quant_ref.h"

namespace junction::kernels::ref {

float load_element(const std::byte* row, DType dtype, int64_t k) {
  switch (dtype) {
    case DType::F32: {
      float f;
      std::memcpy(&f, row + k * 4, 4);
      return f;
    }
    case DType::F16: {
      uint16_t h;
      std::memcpy(&h, row + k * 2, 2);
      return f16_to_f32(h);
    }
    case DType::BF16: {
      uint16_t h;
      std::memcpy(&h, row + k * 2, 2);
      return bf16_to_f32(h);
    }
    default:  // quantized rows are read a block at a time (quant/), never an element
      break;
  }
  return 0.0f;
}

void matmul(const float* x, int64_t n_tokens, const WeightView& w, float* y) {
  if (is_quantized(w.dtype)) {
    // As ggml defines it: activations quantized per block, integer dot products, scaled.
    std::vector<std::byte> xq(quantized_activation_bytes(w.dtype, w.cols));
    for (int64_t t = 0; t < n_tokens; ++t) {
      quantize_activations(w.dtype, x + t * w.cols, w.cols, xq.data());
      for (int64_t n = 0; n < w.rows; ++n)
        y[t * w.rows + n] = quant::vec_dot_ref(w.dtype, w.row(n), xq.data(), w.cols);
    }
    return;
  }
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t n = 0; n < w.rows; ++n) {
      const std::byte* row = w.row(n);
      double sum = 0.0;
      for (int64_t k = 0; k < w.cols; ++k)
        sum += double{x[t * w.cols + k]} * load_element(row, w.dtype, k);
      y[t * w.rows + n] = static_cast<float>(sum);
    }
  }
}

void embedding(const WeightView& table, const int32_t* ids, int64_t n, float* out) {
  for (int64_t t = 0; t < n; ++t)
    quant::dequantize_row(table.dtype, table.row(ids[t]), out + t * table.cols, table.cols);
}

size_t quantized_activation_bytes(DType weight_type, int64_t n) {
  return quant::activation_format(weight_type) == quant::ActivationFormat::kQ8_0
             ? static_cast<size_t>(n / quant::kQK) * sizeof(quant::BlockQ8_0)
             : static_cast<size_t>(n / quant::kQK_K) * sizeof(quant::BlockQ8_K);
}

void quantize_activations(DType weight_type, const float* x, int64_t n, std::byte* out) {
  if (quant::activation_format(weight_type) == quant::ActivationFormat::kQ8_0) {
    quant::quantize_row_q8_0(x, reinterpret_cast<quant::BlockQ8_0*>(out), n);
  } else {
    quant::quantize_row_q8_K(x, reinterpret_cast<quant::BlockQ8_K*>(out), n);
  }
}

void rms_norm(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps,
              float* y) {
  for (int64_t r = 0; r < n_rows; ++r) {
    double sum = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum += double{x[r * dim + i]} * x[r * dim + i];
    const float inv = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(dim) + eps));
    for (int64_t i = 0; i < dim; ++i) y[r * dim + i] = weight[i] * (x[r * dim + i] * inv);
  }
}

void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
          bool interleaved, const float* cos, const float* sin) {
  const int64_t half = rot_dim / 2;
  // Element offsets of the two halves of pair i.
  const int64_t first_stride = interleaved ? 2 : 1, second_offset = interleaved ? 1 : half;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (t * n_heads + h) * head_dim;
      for (int64_t i = 0; i < half; ++i) {
        const float c = cos[t * half + i], s = sin[t * half + i];
        float& a = v[i * first_stride];
        float& b = v[i * first_stride + second_offset];
        const float x1 = a, x2 = b;
        a = x1 * c - x2 * s;
        b = x2 * c + x1 * s;
      }
    }
  }
}

void attention(const float* q, const void* k_cache, const void* v_cache, const AttentionShape& s,
               float* out) {
  const int64_t group = s.n_heads / s.n_kv_heads;
  const size_t k_bytes = kv_cache_row_bytes(s.k_type, s.head_dim);
  const size_t v_bytes = kv_cache_row_bytes(s.v_type, s.head_dim);
  // A cache row as the floats it holds exactly.
  std::vector<float> row(static_cast<size_t>(s.head_dim));
  auto load = [&](const void* cache, size_t bytes, DType type, int64_t kv_head, int64_t pos) {
    quant::dequantize_row(type, AttentionShape::row_at(cache, bytes, s.row_index(kv_head, pos)),
                          row.data(), s.head_dim);
    return row.data();
  };
  std::vector<double> scores, acc(static_cast<size_t>(s.head_dim));
  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const int64_t pos = s.pos0 + t;
    const int64_t first =
        s.sliding_window > 0 ? std::max<int64_t>(0, pos - s.sliding_window + 1) : 0;
    for (int64_t h = 0; h < s.n_heads; ++h) {
      const float* qh = q + (t * s.n_heads + h) * s.head_dim;
      scores.assign(static_cast<size_t>(pos - first + 1), 0.0);
      double max_score = -INFINITY;
      for (int64_t j = first; j <= pos; ++j) {
        double dot = 0.0;
        const float* kj = load(k_cache, k_bytes, s.k_type, h / group, j);
        for (int64_t d = 0; d < s.head_dim; ++d) dot += double{qh[d]} * kj[d];
        scores[j - first] = dot * s.scale;
        max_score = std::max(max_score, scores[j - first]);
      }
      double total = 0.0;
      for (double& score : scores) total += (score = std::exp(score - max_score));
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t j = first; j <= pos; ++j) {
        const float* vj = load(v_cache, v_bytes, s.v_type, h / group, j);
        for (int64_t d = 0; d < s.head_dim; ++d) acc[d] += scores[j - first] * vj[d];
      }
      float* o = out + (t * s.n_heads + h) * s.head_dim;
      for (int64_t d = 0; d < s.head_dim; ++d) o[d] = static_cast<float>(acc[d] / total);
    }
  }
}

void store_kv_row(const float* x, int64_t n, DType type, std::byte* out) {
  switch (type) {
    case DType::F32:
      std::memcpy(out, x, static_cast<size_t>(n) * 4);
      return;
    case DType::F16:
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == DType::F16 ? f32_to_f16(x[i]) : f32_to_bf16(x[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    case DType::Q8_0:
      return quant::quantize_row_q8_0(x, reinterpret_cast<quant::BlockQ8_0*>(out), n);
    default:
      throw Error("not a KV cache type: " + std::string(dtype_name(type)));
  }
}

float silu(float x) {
  return x / (1.0f + std::exp(-x));
}

// PyTorch's gelu(approximate="tanh").
float gelu_tanh(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

void silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = silu(gate[i]) * up[i];
}

void gelu_tanh_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = gelu_tanh(gate[i]) * up[i];
}

}  // namespace junction::kernels::ref
