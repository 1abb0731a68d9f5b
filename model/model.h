// A loaded model: config, weights mapped from the checkpoint, rope tables, and the forward
// pass. Immutable after load, so many sequences (and threads) can share one Model.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/ops.h"
#include "model/config.h"
#include "model/generation_config.h"
#include "model/kv_cache.h"
#include "model/rope.h"
#include "model/weights.h"

namespace junction {

// Activation buffers for one forward call of up to `capacity` tokens; reused across calls.
struct ForwardScratch {
  void reserve(const ModelConfig& config, int64_t n_tokens);

  int64_t capacity = 0;         // tokens
  std::vector<float> x;         // [T, hidden] residual stream
  std::vector<float> xn;        // [T, hidden] normed input of a block
  std::vector<float> q;         // [T, n_heads, head_dim]
  std::vector<float> k, v;      // [T, n_kv_heads, head_dim]
  std::vector<float> attn;      // [T, n_heads * head_dim]
  std::vector<float> out;       // [T, hidden] output of a block before the residual add
  std::vector<float> gate, up;  // [T, intermediate]
  std::vector<float> cos, sin;  // [T, rotary_dim / 2]
  std::vector<int32_t> ids;     // [T] the batch's tokens, slice after slice
};

// One sequence's part of a forward batch: its cache, its new tokens and where they start.
struct BatchSlice {
  KvCache* cache = nullptr;
  std::span<const int32_t> ids;  // tokens at positions pos0 .. pos0 + ids.size() - 1
  int64_t pos0 = 0;
  int64_t n_logits = 0;  // logits wanted for this many of the slice's last tokens
};

class Model {
 public:
  // A Hugging Face folder (config.json, generation_config.json, safetensors) or a GGUF file.
  static std::unique_ptr<Model> load(const std::string& path);

  const ModelConfig& config() const { return config_; }
  const GenerationConfig& generation_config() const { return generation_; }
  const ModelWeights& weights() const { return weights_; }

  // Lets the backend relay out the weights for its kernels (prepare_weights in weights.h): call
  // once after load, before the model is shared; forward then runs on the prepared copies with
  // any backend that knows them. Returns the bytes they hold.
  size_t prepare_weights(kernels::Backend& backend) {
    return junction::prepare_weights(weights_, backend);
  }

  // Runs the tokens of several sequences through the model as one batch (the weights are read
  // once for all of them), appending each slice's keys and values to its cache. Writes the
  // wanted logits slice after slice: [sum of n_logits, vocab].
  void forward(kernels::Backend& backend, std::span<const BatchSlice> slices, float* logits,
               ForwardScratch& scratch) const;
  // One sequence: ids at positions pos0 .. pos0 + n - 1; logits of the last n_logits of them.
  void forward(kernels::Backend& backend, KvCache& cache, std::span<const int32_t> ids,
               int64_t pos0, int64_t n_logits, float* logits, ForwardScratch& scratch) const;

 private:
  Model(ModelConfig config, GenerationConfig generation, ModelWeights weights);

  void linear(kernels::Backend& backend, const float* x, int64_t n, const Linear& l,
              float* y) const;
  kernels::AttentionShape attention_shape(int64_t n_tokens, int64_t pos0) const;

  ModelConfig config_;
  GenerationConfig generation_;
  ModelWeights weights_;
  Rope rope_;
};

}  // namespace junction
