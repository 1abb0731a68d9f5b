// The backend seam: every numeric op the forward pass needs, as one table per backend.
// The model calls only these; the CPU backend lands first and a CUDA backend will sit behind
// the same table. Activations are float32; weights stay in their stored dtype and are
// converted inside the kernels. Shapes are given in the comments as [rows, cols], row-major.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"

namespace junction {
class ThreadPool;
}

namespace junction::kernels {

// Where the query rows of one attention call sit and what they may see.
struct AttentionShape {
  int64_t n_tokens = 0;    // query rows in this call
  int64_t pos0 = 0;        // position of the first query row; keys 0..pos0+t are visible
  int64_t n_heads = 0;     // query heads
  int64_t n_kv_heads = 0;  // key/value heads (n_heads % n_kv_heads == 0)
  int64_t head_dim = 0;
  int64_t sliding_window = 0;  // 0: none; else a query at p sees keys k with p - k < window
  float scale = 1.0f;          // multiplies q.k before the softmax

  // Where key/value rows live. A row is one position of one kv head: head_dim elements of
  // k_type / v_type (F32, F16, BF16, or Q8_0 blocks: kv_cache_row_bytes). The cache is paged:
  // position p of kv head h is row (p mod block_size) of head h in block block_table[p /
  // block_size], and a block holds [n_kv_heads, block_size] rows, block_rows rows after the
  // previous block of the pool. Without a block table the cache is one contiguous block:
  // [n_kv_heads, head_rows] rows.
  DType k_type = DType::F32;
  DType v_type = DType::F32;
  const int32_t* block_table = nullptr;
  int block_shift = 0;     // log2(block_size); block sizes are powers of two
  int64_t block_rows = 0;  // rows between consecutive blocks of the pool
  int64_t head_rows = 0;   // rows between two kv heads inside a block

  // Index of position `pos`'s row for kv head `kv_head`, in rows from the cache's start.
  int64_t row_index(int64_t kv_head, int64_t pos) const {
    if (block_table == nullptr) return kv_head * head_rows + pos;
    const int64_t mask = (int64_t{1} << block_shift) - 1;
    return block_table[pos >> block_shift] * block_rows + kv_head * head_rows + (pos & mask);
  }
  // The first byte of that row in a cache whose rows are `row_bytes` long.
  static const std::byte* row_at(const void* cache, size_t row_bytes, int64_t index) {
    return static_cast<const std::byte*>(cache) + static_cast<size_t>(index) * row_bytes;
  }
};

// The element types a KV cache may hold (llama.cpp's --cache-type-k/-v f32, f16, bf16, q8_0).
inline constexpr bool is_kv_cache_type(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16 || t == DType::Q8_0;
}
// Bytes of one cache row of n elements (n a multiple of 32 for Q8_0).
inline constexpr size_t kv_cache_row_bytes(DType t, int64_t n) {
  return row_size(t, n);
}

// A weight matrix relaid out for one backend's kernels, made once at load by
// Backend::prepare_weight and immutable afterwards (the CPU backend's interleaved Q4_K / Q6_K
// rows; a GPU backend would keep its device copy here). Owned by the model next to the view.
class PreparedWeight {
 public:
  virtual ~PreparedWeight() = default;
  virtual size_t bytes() const = 0;  // memory it holds
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // The weight in this backend's own layout, or null where the stored layout is what its
  // kernels read. Afterwards matmul reads only the prepared copy (the caller may drop the stored
  // pages from memory; they stay readable).
  virtual std::unique_ptr<PreparedWeight> prepare_weight(const WeightView&) { return nullptr; }

  // y[t, n] = sum_k x[t, k] * w[n, k]; x: [n_tokens, w.cols], y: [n_tokens, w.rows].
  // `prepared` is null or what prepare_weight returned for w (of this or another backend: one
  // that does not know it reads w).
  virtual void matmul(const float* x, int64_t n_tokens, const WeightView& w,
                      const PreparedWeight* prepared, float* y) = 0;
  void matmul(const float* x, int64_t n_tokens, const WeightView& w, float* y) {
    matmul(x, n_tokens, w, nullptr, y);
  }
  // out[t, :] = table[ids[t], :] as float32; out: [n, table.cols]. ids are pre-validated.
  virtual void embedding(const WeightView& table, const int32_t* ids, int64_t n, float* out) = 0;
  // y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight; x, y: [n_rows, dim] (may alias).
  virtual void rms_norm(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps,
                        float* y) = 0;
  // Rotates the first rot_dim dims of each head: pairs (i, i + rot_dim/2) as HF's rotate_half,
  // or (2i, 2i + 1) when interleaved. x: [n_tokens, n_heads, head_dim]; cos, sin: [n_tokens,
  // rot_dim / 2].
  virtual void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
                    bool interleaved, const float* cos, const float* sin) = 0;
  // Causal softmax attention over a (paged) cache laid out as AttentionShape describes, of the
  // values its rows hold (F16 / BF16 / Q8_0 rows are read as the floats they encode exactly).
  // q: [n_tokens, n_heads, head_dim]; out: [n_tokens, n_heads * head_dim].
  virtual void attention(const float* q, const void* k_cache, const void* v_cache,
                         const AttentionShape& shape, float* out) = 0;
  // One cache row from float32: x[0, n) copied (F32), rounded to nearest even (F16, BF16), or
  // quantized to Q8_0 blocks as ggml's quantize_row_q8_0 does (n a multiple of 32); out holds
  // kv_cache_row_bytes(type, n) bytes.
  virtual void store_kv_row(const float* x, int64_t n, DType type, std::byte* out) = 0;
  // gate[i] = act(gate[i]) * up[i] over n elements; act is SiLU or tanh-approximated GELU.
  virtual void silu_mul(float* gate, const float* up, int64_t n) = 0;
  virtual void gelu_tanh_mul(float* gate, const float* up, int64_t n) = 0;
  // x[r, :] += bias for each of n_rows rows of length dim.
  virtual void add_bias(float* x, int64_t n_rows, int64_t dim, const float* bias) = 0;
  // x[i] += y[i].
  virtual void add(float* x, const float* y, int64_t n) = 0;
  // x[i] *= s.
  virtual void scale(float* x, int64_t n, float s) = 0;
};

// The plain scalar backend: the oracle every other backend is tested against.
std::unique_ptr<Backend> make_reference_backend();

// The CPU backend: SIMD kernels chosen at run time for this CPU, work split over the pool's
// threads. `isa` forces a level (one of cpu_isa_levels()); empty takes resolve_isa's choice.
std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool, std::string_view isa = {});

// The best instruction set level this CPU supports: "avx512", "avx2" or "scalar" on x86-64;
// "dotprod" or "neon" on ARM64.
std::string_view detect_cpu_isa();

// Every level this build can run on this CPU, best first, "scalar" last: the levels a test or
// benchmark may force.
std::vector<std::string_view> cpu_isa_levels();

// The level to run: `forced` when given, else the environment's JUNCTION_ISA when set (so every
// binary and test can be pinned to a lower level), else detect_cpu_isa(). Throws Error naming
// the choices for an unknown level or one this CPU cannot run.
std::string_view resolve_isa(std::string_view forced = {});

}  // namespace junction::kernels
