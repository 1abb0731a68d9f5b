// Single-threaded kernels compiled once per instruction set (kernels_avx512.cc,
// kernels_avx2.cc on x86-64; kernels_dotprod.cc, kernels_neon.cc on ARM64; kernels_scalar.cc
// everywhere) from the one template in kernels_impl-inl.h. The CPU backend
// picks a table at run time and splits work over threads; tests compare each table with the
// scalar references in kernels/ref.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/tensor.h"
#include "kernels/cpu/packed_k_quant.h"
#include "kernels/cpu/packed_q8_0.h"
#include "kernels/ops.h"

namespace junction::kernels {

struct IsaKernels {
  const char* name;
  // Output rows [row_begin, row_end) of y = x . w^T; x: [n_tokens, w.cols], y: [n_tokens, w.rows].
  void (*matmul_rows)(const float* x, int64_t n_tokens, const WeightView& w, int64_t row_begin,
                      int64_t row_end, float* y);
  // The same for quantized weights, with activations already quantized per token
  // (xq: [n_tokens] rows of xq_row_bytes, see ref::quantize_activations).
  void (*quant_matmul_rows)(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                            const WeightView& w, int64_t row_begin, int64_t row_end, float* y);
  // The same for Q4_K / Q6_K weights packed at load (packed_k_quant.h); p.rows() is y's row
  // stride.
  void (*packed_matmul_rows)(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                             const PackedKQuant& p, int64_t row_begin, int64_t row_end, float* y);
  // The same for Q8_0 weights packed at load (packed_q8_0.h).
  void (*packed_q8_0_matmul_rows)(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                                  const PackedQ8_0& p, int64_t row_begin, int64_t row_end,
                                  float* y);
  // One token's activations quantized for weights of `weight_type`, byte for byte as
  // ref::quantize_activations does it.
  void (*quantize_activations)(DType weight_type, const float* x, int64_t n, std::byte* out);
  // One stored row of n elements to float32.
  void (*convert_row)(const std::byte* row, DType dtype, int64_t n, float* out);
  void (*rms_norm)(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps,
                   float* y);
  // Attention for the query rows of kv head `kv_head` and tokens [t0, t1): all heads of the group
  // at once, so each cached key and value is read once per group (online softmax over key blocks).
  // scratch: attention_scratch_floats(...) floats.
  void (*attention_block)(const float* q, const void* k_cache, const void* v_cache,
                          const AttentionShape& shape, int64_t kv_head, int64_t t0, int64_t t1,
                          float* scratch, float* out);
  // One K or V cache row from float32, as ref::store_kv_row writes it, byte for byte.
  void (*store_kv_row)(const float* x, int64_t n, DType type, std::byte* out);
  void (*silu_mul)(float* gate, const float* up, int64_t n);
  void (*gelu_tanh_mul)(float* gate, const float* up, int64_t n);
  // Whether the backend packs Q8_0 matrices at load for this level (packed_q8_0_matmul_rows), or
  // keeps them stored because this level's packed decode is slower than its stored dot.
  bool packs_q8_0;
};

inline constexpr int64_t kAttentionKeyBlock = 64;  // keys per online-softmax step
// Keys (then values) converted from a non-F32 cache at a time, all query rows reading them while
// they are in L1 (a multiple of 16; kAttentionKeyBlock a multiple of it).
inline constexpr int64_t kAttentionSubBlock = 32;

// Floats of scratch one attention_block call needs for `rows` query rows: their softmax state
// and scores, and kAttentionSubBlock keys or values converted from a non-F32 cache.
inline int64_t attention_scratch_floats(int64_t rows, int64_t head_dim) {
  return rows * (3 + head_dim + kAttentionKeyBlock) + kAttentionSubBlock * head_dim;
}

// The table of a level this CPU runs (resolve_isa(isa): empty picks as make_cpu_backend does).
// Tests reach the levels only through this: building another level's table runs its
// instructions.
const IsaKernels& isa_kernels(std::string_view isa);

// The table of a level named by cpu_isa_levels() (the architecture's cpu_isa_*.cc); the level
// must run on this CPU.
const IsaKernels& level_kernels(std::string_view level);

// Each level's table; only the target architecture's exist.
const IsaKernels& avx512_kernels();
const IsaKernels& avx2_kernels();
const IsaKernels& dotprod_kernels();
const IsaKernels& neon_kernels();
const IsaKernels& scalar_kernels();

}  // namespace junction::kernels
