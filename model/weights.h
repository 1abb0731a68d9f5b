// A model's weights by their HF checkpoint names, as views into the mapped safetensors files.
// Matrices stay in their stored dtype; the small vectors (norm weights, biases) are converted to
// float32 once at load, with Gemma's (1 + w) norm folded in there rather than in the hot loop.
#pragma once

#include <memory>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf.h"
#include "formats/safetensors.h"
#include "model/config.h"

namespace junction {

struct Linear {
  WeightView weight;        // [out_features, in_features]
  std::vector<float> bias;  // [out_features] or empty
};

struct LayerWeights {
  std::vector<float> input_layernorm;           // [hidden]
  Linear q_proj, k_proj, v_proj, o_proj;        // phi3: views into the fused qkv_proj rows
  std::vector<float> q_norm, k_norm;            // [head_dim], qwen3 only
  std::vector<float> post_attention_layernorm;  // [hidden]
  Linear gate_proj, up_proj, down_proj;         // phi3: gate/up are views into gate_up_proj
};

struct ModelWeights {
  WeightView embed_tokens;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  std::vector<float> norm;  // [hidden]
  WeightView lm_head;       // [vocab, hidden]; the embedding matrix when tied
  size_t matrix_bytes = 0;  // bytes of all matrices (what one decode step streams, roughly)
  // The mapped file(s) the views point into: a safetensors checkpoint or a GGUF file.
  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  std::unique_ptr<GgufFile> gguf;
  size_t file_bytes() const {
    return checkpoint ? checkpoint->mapped_bytes() : gguf ? gguf->file_bytes() : 0;
  }
};

// Weights of a Hugging Face checkpoint, by HF tensor names.
ModelWeights load_weights(const ModelConfig& config,
                          std::unique_ptr<SafetensorsCheckpoint> checkpoint);
// Weights of a GGUF file, by llama.cpp's tensor names (blk.N.attn_q.weight, ...).
ModelWeights load_gguf_weights(const ModelConfig& config, std::unique_ptr<GgufFile> gguf);

}  // namespace junction
