#include "model/kv_cache.h"

#include <cstring>

#include "core/error.h"

namespace junction {

KvCache::KvCache(const ModelConfig& c, int64_t capacity)
    : n_kv_heads_(c.num_key_value_heads), head_dim_(c.head_dim), capacity_(capacity) {
  const size_t floats = static_cast<size_t>(c.num_hidden_layers) * layer_floats();
  keys_.resize(floats);
  values_.resize(floats);
}

void KvCache::write(int64_t layer, int64_t pos0, int64_t n, const float* k, const float* v) {
  if (pos0 < 0 || pos0 + n > capacity_)
    throw Error("context full: position " + std::to_string(pos0 + n) + " exceeds the KV cache of " +
                std::to_string(capacity_) + " tokens (raise --ctx-size)");
  float* kl = keys_.data() + layer * layer_floats();
  float* vl = values_.data() + layer * layer_floats();
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t h = 0; h < n_kv_heads_; ++h) {
      const size_t dst = (h * capacity_ + pos0 + t) * head_dim_;
      const size_t src = (t * n_kv_heads_ + h) * head_dim_;
      std::memcpy(kl + dst, k + src, head_dim_ * sizeof(float));
      std::memcpy(vl + dst, v + src, head_dim_ * sizeof(float));
    }
  }
}

}  // namespace junction
