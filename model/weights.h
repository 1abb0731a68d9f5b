// A model's weights by their HF checkpoint names, as views into the mapped safetensors files.
// Matrices stay in their stored dtype; the small vectors (norm weights, biases) are converted to
// float32 once at load, with Gemma's (1 + w) norm folded in there rather than in the hot loop
// (GGUF files hold 1 + w already: llama.cpp's converter adds the 1).
#pragma once

#include <memory>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf.h"
#include "formats/safetensors.h"
#include "kernels/ops.h"
#include "model/config.h"

namespace junction {

struct Linear {
  WeightView weight;        // [out_features, in_features]
  std::vector<float> bias;  // [out_features] or empty
  // The backend's load-time copy of weight (prepare_weights), or null: matmul reads the view.
  std::shared_ptr<const kernels::PreparedWeight> prepared;
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
  std::shared_ptr<const kernels::PreparedWeight> lm_head_prepared;
  size_t matrix_bytes = 0;  // bytes of all matrices (what one decode step streams, roughly)
  // The mapped file(s) the views point into: a safetensors checkpoint or a GGUF file.
  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  std::unique_ptr<GgufFile> gguf;
  size_t file_bytes() const {
    return checkpoint ? checkpoint->mapped_bytes() : gguf ? gguf->file_bytes() : 0;
  }
};

// Gives every matrix the backend's own copy where it makes one (Backend::prepare_weight: the CPU
// backend packs Q4_K), replacing earlier copies, and drops the mapped pages of each matrix it
// copied from this process's memory (madvise; they stay mapped, so any backend can still read
// the views), so resident memory stays about one copy of the weights. The views must point into
// file mappings. Returns the bytes the prepared copies hold.
size_t prepare_weights(ModelWeights& weights, kernels::Backend& backend);

// Weights of a Hugging Face checkpoint, by HF tensor names.
ModelWeights load_weights(const ModelConfig& config,
                          std::unique_ptr<SafetensorsCheckpoint> checkpoint);
// Weights of a GGUF file, by llama.cpp's tensor names (blk.N.attn_q.weight, ...; Phi-3's fused
// attn_qkv and double-width ffn_up are split into views). Throws naming any tensor it does not
// read.
ModelWeights load_gguf_weights(const ModelConfig& config, std::unique_ptr<GgufFile> gguf);

}  // namespace junction
