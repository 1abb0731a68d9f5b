// Plain scalar versions of every op: short, obviously right, accumulating in double.
// They are the oracle that the SIMD kernels and any later backend are tested against.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/ops.h"

namespace junction::kernels::ref {

float load_element(const std::byte* row, DType dtype, int64_t k);

// Activations of one token quantized for a dot product with weights of `weight_type`
// (Q8_0 blocks for the legacy quants, Q8_K for the K-quants).
size_t quantized_activation_bytes(DType weight_type, int64_t n);
void quantize_activations(DType weight_type, const float* x, int64_t n, std::byte* out);

// Plain weights: double-precision sums. Quantized weights: ggml's definition (activations
// quantized per block, integer dot products).
void matmul(const float* x, int64_t n_tokens, const WeightView& w, float* y);
void embedding(const WeightView& table, const int32_t* ids, int64_t n, float* out);
void rms_norm(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps,
              float* y);
void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
          bool interleaved, const float* cos, const float* sin);
// Over the floats the cache rows hold, in double.
void attention(const float* q, const void* k_cache, const void* v_cache,
               const AttentionShape& shape, float* out);
void store_kv_row(const float* x, int64_t n, DType type, std::byte* out);
float silu(float x);
float gelu_tanh(float x);
void silu_mul(float* gate, const float* up, int64_t n);
void gelu_tanh_mul(float* gate, const float* up, int64_t n);

}  // namespace junction::kernels::ref
