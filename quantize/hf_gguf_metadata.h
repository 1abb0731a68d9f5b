// What llama.cpp's convert_hf_to_gguf.py writes for a Hugging Face folder, for the architectures
// junction converts (qwen3, qwen2, llama/mistral, gemma, phi3): GGUF tensor names for HF tensor
// names and the general.* and <arch>.* metadata from config.json (tokenizer.* keys:
// hf_gguf_tokenizer.h). Keys come in the converter's order. Not covered: MoE and vision keys.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "formats/gguf.h"

namespace junction {

using GgufMetadata = std::vector<std::pair<std::string, GgufValue>>;

// llama.cpp's architecture name for an HF model_type ("qwen3", "llama" for mistral); throws
// for architectures the converter here does not handle.
std::string gguf_architecture(const std::string& model_type);

// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight"; empty when unknown.
std::string gguf_tensor_name(const std::string& hf_name);

// general.architecture, general.type, general.name (from the folder name, as gguf-py's Metadata
// heuristics title-case it), general.size_label (from n_params), then the <arch>.* keys.
GgufMetadata hf_model_metadata(const std::string& model_dir, uint64_t n_params);

// llama.cpp's rope_freqs.weight for a config with rope_scaling.rope_type "llama3" (Llama 3.1):
// the factor each rotated pair's angle is divided by, as LlamaModel.generate_extra_tensors
// computes it; empty for other configs.
std::vector<float> llama3_rope_freq_factors(const std::string& model_dir);

// gguf-py's size label: 3671552 -> "3.7M", 8190735360 -> "8.2B".
std::string gguf_size_label(uint64_t n_params);

}  // namespace junction
