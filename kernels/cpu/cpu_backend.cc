// The CPU backend: picks the best IsaKernels table for this CPU once, then splits each op over
// the thread pool. Matmuls split by output rows (weights are read once in total, each thread
// streaming its own slice); attention splits by (kv head, token block) pairs handed out through
// an atomic counter, since causal blocks late in the prompt cost more than early ones. Which
// levels this CPU runs is the architecture's own file (cpu_isa_x86.cc, cpu_isa_arm64.cc).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/cpu/isa_kernels.h"
#include "kernels/cpu/packed_k_quant.h"
#include "kernels/cpu/packed_q8_0.h"
#include "kernels/ops.h"
#include "kernels/ref/ref_ops.h"

namespace junction::kernels {

std::string_view resolve_isa(std::string_view forced) {
  std::string_view isa = forced;
  if (isa.empty()) {
    const char* env = std::getenv("JUNCTION_ISA");
    if (env != nullptr && *env != '\0') isa = env;
  }
  const auto levels = cpu_isa_levels();
  if (isa.empty()) return levels.front();
  for (const std::string_view level : levels)
    if (level == isa) return level;
  std::string choices;
  for (const std::string_view level : levels)
    choices += (choices.empty() ? "" : ", ") + std::string(level);
  throw Error("instruction set level '" + std::string(isa) + "' cannot run here (this CPU runs " +
              choices + "); pass one of those with --isa or JUNCTION_ISA");
}

const IsaKernels& isa_kernels(std::string_view isa) {
  return level_kernels(resolve_isa(isa));
}

namespace {

constexpr int64_t kMaxPackedQ8_0Cols = 4096;

class CpuBackend final : public Backend {
 public:
  CpuBackend(ThreadPool& pool, const IsaKernels& k) : pool_(pool), k_(k), scratch_(pool.size()) {}

  std::string_view name() const override { return k_.name; }

  // Q8_0 and Q4_K matrices are packed at load into 16-row interleaved groups (packed_q8_0.h,
  // packed_k_quant.h), the groups split over the pool's threads. Q6_K stays stored; its GEMM
  // (from 2 tokens) packs rows on the fly per call (packed_k_quant_kernels-inl.h).
  std::unique_ptr<PreparedWeight> prepare_weight(const WeightView& w) override {
    // Q8_0: 16 rows side by side with the scales apart (packed_q8_0.h), for decode at the
    // memory bandwidth; prefill runs its GEMM on row tiles copied out of the packed copy. Only
    // up to 4096 columns: on longer rows (an 8B model's 12288-column ffn_down) the prefill GEMM's
    // token blocks are short and copying the tiles out of the packed copy for each of them made
    // it 0.87-0.90x (quant_gemm_bench, 1 thread), while the packed decode was 1.2-1.3x.
    // Not at every level (IsaKernels::packs_q8_0 says, kernels_impl-inl.h why).
    if (k_.packs_q8_0 && PackedQ8_0::supports(w) && w.cols <= kMaxPackedQ8_0Cols) {
      auto packed = std::make_unique<PackedQ8_0>(w);
      pool_.parallel_for(packed->groups(), 1,
                         [&](int64_t begin, int64_t end) { packed->pack_groups(w, begin, end); });
      return packed;
    }
    // Q4_K only: measured side by side (bench-model, 2 threads), packing Q6_K as well made
    // decode slower, not faster (8B Q4_K_M 10.1-10.9 -> 5.8-7.3 tok/s, 0.6B 95-97 -> 62-63):
    // the packed Q6_K kernel rebuilds codes from two bit planes with more instructions per byte
    // than the stored layout's dot. PackedKQuant still packs and multiplies Q6_K (tested) for
    // when that kernel is faster.
    if (w.dtype != DType::Q4_K || !PackedKQuant::supports(w)) return nullptr;
    auto packed = std::make_unique<PackedKQuant>(w);
    pool_.parallel_for(packed->groups(), 1,
                       [&](int64_t begin, int64_t end) { packed->pack_groups(w, begin, end); });
    return packed;
  }

  void matmul(const float* x, int64_t n_tokens, const WeightView& w, const PreparedWeight* prepared,
              float* y) override {
    if (const auto* p = dynamic_cast<const PackedKQuant*>(prepared);
        p != nullptr && p->rows() == w.rows && p->cols() == w.cols)
      return packed_matmul(x, n_tokens, w, *p, y);
    if (const auto* p = dynamic_cast<const PackedQ8_0*>(prepared);
        p != nullptr && p->rows() == w.rows && p->cols() == w.cols) {
      const size_t row_bytes = quantize_activations(x, n_tokens, w);
      pool_.parallel_for(w.rows, kPackedQ8Rows, [&](int64_t begin, int64_t end) {
        k_.packed_q8_0_matmul_rows(quantized_.data(), row_bytes, n_tokens, *p, begin, end, y);
      });
      return;
    }
    if (is_quantized(w.dtype)) return quant_matmul(x, n_tokens, w, y);
    // Row ranges in multiples of 16 keep every thread on whole register tiles.
    pool_.parallel_for(w.rows, 16, [&](int64_t begin, int64_t end) {
      k_.matmul_rows(x, n_tokens, w, begin, end, y);
    });
  }

  void embedding(const WeightView& table, const int32_t* ids, int64_t n, float* out) override {
    for (int64_t t = 0; t < n; ++t)
      k_.convert_row(table.row(ids[t]), table.dtype, table.cols, out + t * table.cols);
  }

  void rms_norm(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps,
                float* y) override {
    if (n_rows * dim < 65536) return k_.rms_norm(x, n_rows, dim, weight, eps, y);
    pool_.parallel_for(n_rows, 1, [&](int64_t begin, int64_t end) {
      k_.rms_norm(x + begin * dim, end - begin, dim, weight, eps, y + begin * dim);
    });
  }

  void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
            bool interleaved, const float* cos, const float* sin) override {
    if (interleaved) return ref::rope(x, n_tokens, n_heads, head_dim, rot_dim, true, cos, sin);
    const int64_t half = rot_dim / 2;
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* c = cos + t * half;
      const float* s = sin + t * half;
      for (int64_t h = 0; h < n_heads; ++h) {
        float* v = x + (t * n_heads + h) * head_dim;
        for (int64_t i = 0; i < half; ++i) {
          const float x1 = v[i], x2 = v[i + half];
          v[i] = x1 * c[i] - x2 * s[i];
          v[i + half] = x2 * c[i] + x1 * s[i];
        }
      }
    }
  }

  void attention(const float* q, const void* k_cache, const void* v_cache,
                 const AttentionShape& shape, float* out) override {
    const int64_t group = shape.n_heads / shape.n_kv_heads;
    // Query rows per block: the whole group for several tokens, about 16 rows, so a key block
    // loaded into L1 serves many queries.
    const int64_t tokens_per_block = std::max<int64_t>(1, 16 / group);
    const int64_t token_blocks = (shape.n_tokens + tokens_per_block - 1) / tokens_per_block;
    const int64_t n_tasks = token_blocks * shape.n_kv_heads;
    const int64_t scratch_floats =
        attention_scratch_floats(tokens_per_block * group, shape.head_dim);
    for (auto& s : scratch_) s.resize(std::max<size_t>(s.size(), scratch_floats));
    std::atomic<int64_t> next{0};
    // Hand out the costly late token blocks first; a thread that starts late finds them taken.
    pool_.run_with_whoever_starts([&](int thread) {
      for (int64_t task; (task = next.fetch_add(1, std::memory_order_relaxed)) < n_tasks;) {
        const int64_t block = token_blocks - 1 - task / shape.n_kv_heads;
        const int64_t kv_head = task % shape.n_kv_heads;
        const int64_t t0 = block * tokens_per_block;
        const int64_t t1 = std::min(shape.n_tokens, t0 + tokens_per_block);
        k_.attention_block(q, k_cache, v_cache, shape, kv_head, t0, t1, scratch_[thread].data(),
                           out);
      }
    });
  }

  void store_kv_row(const float* x, int64_t n, DType type, std::byte* out) override {
    k_.store_kv_row(x, n, type, out);
  }

  void silu_mul(float* gate, const float* up, int64_t n) override {
    parallel_elementwise(n, [&](int64_t b, int64_t e) { k_.silu_mul(gate + b, up + b, e - b); });
  }
  void gelu_tanh_mul(float* gate, const float* up, int64_t n) override {
    parallel_elementwise(n,
                         [&](int64_t b, int64_t e) { k_.gelu_tanh_mul(gate + b, up + b, e - b); });
  }
  void add_bias(float* x, int64_t n_rows, int64_t dim, const float* bias) override {
    for (int64_t r = 0; r < n_rows; ++r)
      for (int64_t i = 0; i < dim; ++i) x[r * dim + i] += bias[i];
  }
  void add(float* x, const float* y, int64_t n) override {
    for (int64_t i = 0; i < n; ++i) x[i] += y[i];
  }
  void scale(float* x, int64_t n, float s) override {
    for (int64_t i = 0; i < n; ++i) x[i] *= s;
  }

 private:
  // Activations are quantized once per call (each token's row into Q8_0 or Q8_K blocks), then
  // every thread takes a slice of the weight rows.
  void quant_matmul(const float* x, int64_t n_tokens, const WeightView& w, float* y) {
    const size_t row_bytes = quantize_activations(x, n_tokens, w);
    pool_.parallel_for(w.rows, 16, [&](int64_t begin, int64_t end) {
      k_.quant_matmul_rows(quantized_.data(), row_bytes, n_tokens, w, begin, end, y);
    });
  }

  // Row ranges in multiples of 16 are whole packed groups.
  void packed_matmul(const float* x, int64_t n_tokens, const WeightView& w, const PackedKQuant& p,
                     float* y) {
    const size_t row_bytes = quantize_activations(x, n_tokens, w);
    pool_.parallel_for(w.rows, kPackedRows, [&](int64_t begin, int64_t end) {
      k_.packed_matmul_rows(quantized_.data(), row_bytes, n_tokens, p, begin, end, y);
    });
  }

  // Each token's row of x into quantized_ as w's dot products take it; returns the bytes per row.
  size_t quantize_activations(const float* x, int64_t n_tokens, const WeightView& w) {
    const size_t row_bytes = ref::quantized_activation_bytes(w.dtype, w.cols);
    if (quantized_.size() < row_bytes * n_tokens) quantized_.resize(row_bytes * n_tokens);
    auto quantize = [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t)
        k_.quantize_activations(w.dtype, x + t * w.cols, w.cols, quantized_.data() + t * row_bytes);
    };
    if (n_tokens < 8) {
      quantize(0, n_tokens);
    } else {
      pool_.parallel_for(n_tokens, 1, quantize);
    }
    return row_bytes;
  }

  template <class F>
  void parallel_elementwise(int64_t n, F&& fn) {
    if (n < 32768) return fn(int64_t{0}, n);
    pool_.parallel_for(n, 64, fn);
  }

  ThreadPool& pool_;
  const IsaKernels& k_;
  std::vector<std::vector<float>> scratch_;  // one attention scratch per thread
  std::vector<std::byte> quantized_;         // [n_tokens, activation row bytes]
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool, std::string_view isa) {
  return std::make_unique<CpuBackend>(pool, isa_kernels(isa));
}

}  // namespace junction::kernels
