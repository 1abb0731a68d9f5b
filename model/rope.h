// Rotary position embedding tables for the rope variants HF implements (default, linear,
// llama3, yarn). Angles are formed in float32 exactly as transformers does (inv_freq in float32,
// position * inv_freq rounded to float32), because at 33k positions a double-precision angle
// differs from the reference's by ~1e-3 rad; only cos/sin themselves are evaluated in double.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace junction {

class Rope {
 public:
  explicit Rope(const ModelConfig& config);

  int64_t rotary_dim() const { return rotary_dim_; }
  float attention_factor() const { return attention_factor_; }      // multiplies cos and sin
  const std::vector<float>& inv_freq() const { return inv_freq_; }  // [rotary_dim / 2]

  // cos, sin: [n, rotary_dim / 2] for positions pos0 .. pos0 + n - 1.
  void fill(int64_t pos0, int64_t n, float* cos, float* sin) const;

 private:
  int64_t rotary_dim_;
  float attention_factor_ = 1.0f;
  std::vector<float> inv_freq_;
};

}  // namespace junction
