// The scalar backend: each op forwards to its reference in ref_ops.cc, single-threaded.
#include <memory>

#include "kernels/ops.h"
#include "kernels/ref/ref_ops.h"

namespace junction::kernels {
namespace {

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }
  void matmul(const float* x, int64_t n_tokens, const WeightView& w, const PreparedWeight*,
              float* y) override {
    ref::matmul(x, n_tokens, w, y);
  }
  void embedding(const WeightView& table, const int32_t* ids, int64_t n, float* out) override {
    ref::embedding(table, ids, n, out);
  }
  void rms_norm(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps,
                float* y) override {
    ref::rms_norm(x, n_rows, dim, weight, eps, y);
  }
  void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, int64_t rot_dim,
            bool interleaved, const float* cos, const float* sin) override {
    ref::rope(x, n_tokens, n_heads, head_dim, rot_dim, interleaved, cos, sin);
  }
  void attention(const float* q, const void* k_cache, const void* v_cache,
                 const AttentionShape& shape, float* out) override {
    ref::attention(q, k_cache, v_cache, shape, out);
  }
  void store_kv_row(const float* x, int64_t n, DType type, std::byte* out) override {
    ref::store_kv_row(x, n, type, out);
  }
  void silu_mul(float* gate, const float* up, int64_t n) override { ref::silu_mul(gate, up, n); }
  void gelu_tanh_mul(float* gate, const float* up, int64_t n) override {
    ref::gelu_tanh_mul(gate, up, n);
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
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() {
  return std::make_unique<ReferenceBackend>();
}

}  // namespace junction::kernels
