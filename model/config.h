// A model's architecture as Hugging Face config.json describes it: every field that changes the
// math, under its HF name. Parsing refuses unknown architectures and unsupported options with a
// message naming the field, rather than computing something else silently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace junction {

enum class ModelFamily {
  kLlama,  // qwen3, qwen2, llama, mistral: one forward pass with flags
  kGemma,  // (1 + w) norms, sqrt(hidden) embedding scale, GeGLU
  kPhi3,   // fused qkv_proj and gate_up_proj
};

enum class Activation { kSilu, kGeluTanh };

struct RopeScaling {
  // kFreqFactors: llama.cpp's rope_freqs.weight (how its converter stores Llama 3.1's llama3
  // scaling): the angle of pair i is divided by freq_factors[i].
  enum class Type { kNone, kLinear, kLlama3, kYarn, kFreqFactors } type = Type::kNone;
  double factor = 1.0;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 0;
  // yarn
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  std::optional<double> attention_factor;  // HF's explicit override of the magnitude scale
  std::optional<double> mscale, mscale_all_dim;
  double attn_factor = 1.0;  // DeepSeek's key: multiplies the magnitude, as vLLM and SGLang do
  bool truncate = true;
  std::vector<float> freq_factors;  // [rotary_dim / 2], kFreqFactors only
};

struct ModelConfig {
  std::string model_type;  // "qwen3", "qwen2", "llama", "mistral", "gemma", "phi3"
  ModelFamily family = ModelFamily::kLlama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;  // hidden_size / num_attention_heads when absent
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  double partial_rotary_factor = 1.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // q/k/v projections have biases (qwen2 always; others attention_bias)
  bool o_bias = false;    // o_proj has a bias (llama/qwen3 attention_bias)
  bool mlp_bias = false;  // llama's mlp_bias
  bool qk_norm = false;   // qwen3's per-head q_norm / k_norm
  // llama.cpp's converter permutes Llama q/k rows so rope pairs dims (2i, 2i+1) instead of HF's
  // (i, i + d/2); such files are rotated in that layout (the attention scores are the same).
  bool rope_interleaved = false;
  Activation hidden_act = Activation::kSilu;
  int64_t sliding_window = 0;  // 0: full attention
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;

  int64_t rotary_dim() const { return static_cast<int64_t>(head_dim * partial_rotary_factor); }
};

// Parses config.json text; `what` names the file in errors.
ModelConfig parse_model_config(const std::string& json_text, const std::string& what);
ModelConfig load_model_config(const std::string& model_dir);

class GgufFile;
// The same fields from a GGUF file's metadata (general.architecture and its keys).
ModelConfig config_from_gguf(const GgufFile& gguf, const std::string& what);

}  // namespace junction
