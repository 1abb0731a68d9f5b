// The keys and values of one sequence, per layer: [n_kv_heads, capacity, head_dim] float32,
// so attention for one kv head walks contiguous memory. Float32 keeps results equal to the
// reference; a paged, lower-precision cache comes with the server's batching.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace junction {

class KvCache {
 public:
  KvCache(const ModelConfig& config, int64_t capacity);  // capacity: tokens

  int64_t capacity() const { return capacity_; }
  int64_t stride() const { return capacity_ * head_dim_; }  // floats between kv heads
  const float* keys(int64_t layer) const { return keys_.data() + layer * layer_floats(); }
  const float* values(int64_t layer) const { return values_.data() + layer * layer_floats(); }
  size_t bytes() const { return (keys_.size() + values_.size()) * sizeof(float); }

  // Stores n tokens' k and v ([n, n_kv_heads, head_dim]) at positions pos0 .. pos0 + n - 1.
  void write(int64_t layer, int64_t pos0, int64_t n, const float* k, const float* v);

 private:
  size_t layer_floats() const { return static_cast<size_t>(n_kv_heads_ * capacity_ * head_dim_); }

  int64_t n_kv_heads_, head_dim_, capacity_;
  std::vector<float> keys_, values_;  // [n_layers, n_kv_heads, capacity, head_dim]
};

}  // namespace junction
