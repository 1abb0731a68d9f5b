#include "model/config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/json_depth.h"
#include "formats/gguf.h"

namespace junction {
namespace {

using nlohmann::json;

class Fields {
 public:
  Fields(const json& j, std::string what) : j_(j), what_(std::move(what)) {}

  bool has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

  int64_t integer(const char* key) const {
    if (!has(key)) throw Error(what_ + ": missing required field '" + key + "'");
    return integer_or(key, 0);
  }
  int64_t integer_or(const char* key, int64_t fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_number_integer()) throw Error(what_ + ": field '" + key + "' must be an integer");
    return v.get<int64_t>();
  }
  double number_or(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_number()) throw Error(what_ + ": field '" + key + "' must be a number");
    return v.get<double>();
  }
  std::optional<double> optional_number(const char* key) const {
    if (!has(key)) return std::nullopt;
    return number_or(key, 0.0);
  }
  bool boolean_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_boolean()) throw Error(what_ + ": field '" + key + "' must be true or false");
    return v.get<bool>();
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_string()) throw Error(what_ + ": field '" + key + "' must be a string");
    return v.get<std::string>();
  }
  const std::string& what() const { return what_; }

 private:
  const json& j_;
  std::string what_;
};

Activation parse_activation(const std::string& name, const std::string& field,
                            const std::string& what) {
  if (name == "silu" || name == "swish") return Activation::kSilu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_fast")
    return Activation::kGeluTanh;
  throw Error(what + ": " + field + " '" + name +
              "' is not supported (junction implements silu and gelu_pytorch_tanh)");
}

RopeScaling parse_rope_scaling(const json& j, const ModelConfig& c, const std::string& what) {
  Fields f(j, what + " rope_scaling");
  RopeScaling r;
  std::string type = f.string_or("rope_type", f.string_or("type", "default"));
  if (type == "default") return r;
  r.factor = f.number_or("factor", 1.0);
  r.original_max_position_embeddings = f.integer_or("original_max_position_embeddings", 0);
  if (type == "linear") {
    r.type = RopeScaling::Type::kLinear;
  } else if (type == "llama3") {
    r.type = RopeScaling::Type::kLlama3;
    r.low_freq_factor = f.number_or("low_freq_factor", 1.0);
    r.high_freq_factor = f.number_or("high_freq_factor", 4.0);
    if (r.original_max_position_embeddings <= 0)
      throw Error(what + ": llama3 rope_scaling needs original_max_position_embeddings");
  } else if (type == "yarn") {
    r.type = RopeScaling::Type::kYarn;
    r.beta_fast = f.number_or("beta_fast", 32.0);
    r.beta_slow = f.number_or("beta_slow", 1.0);
    r.attention_factor = f.optional_number("attention_factor");
    r.mscale = f.optional_number("mscale");
    r.mscale_all_dim = f.optional_number("mscale_all_dim");
    r.attn_factor = f.number_or("attn_factor", 1.0);
    r.truncate = f.boolean_or("truncate", true);
    if (r.original_max_position_embeddings > 0) {
      // transformers takes the ratio of the two context lengths as the factor when the original
      // length is given; published configs (R1-0528-Qwen3: 131072 / 32768 = 4) agree with 'factor'.
      r.factor = static_cast<double>(c.max_position_embeddings) /
                 static_cast<double>(r.original_max_position_embeddings);
    } else {
      r.original_max_position_embeddings = c.max_position_embeddings;
    }
  } else {
    throw Error(what + ": rope_scaling type '" + type +
                "' is not supported (junction implements default, linear, llama3 and yarn)");
  }
  if (r.factor <= 0) throw Error(what + ": rope_scaling factor must be positive");
  return r;
}

}  // namespace

ModelConfig parse_model_config(const std::string& json_text, const std::string& what) {
  check_json_depth(json_text, what);
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw Error(what + " is not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw Error(what + " is not a JSON object");
  // Newer configs nest the text model's fields in text_config; published checkpoints of the
  // families here keep them at the top level.
  Fields f(j, what);
  ModelConfig c;
  c.model_type = f.string_or("model_type", "");
  if (c.model_type == "qwen3" || c.model_type == "qwen2" || c.model_type == "llama" ||
      c.model_type == "mistral") {
    c.family = ModelFamily::kLlama;
  } else if (c.model_type == "gemma") {
    c.family = ModelFamily::kGemma;
  } else if (c.model_type == "phi3") {
    c.family = ModelFamily::kPhi3;
  } else {
    throw Error(what + ": model_type '" + c.model_type +
                "' is not supported (junction runs qwen3, qwen2, llama, mistral, gemma, phi3)");
  }
  c.vocab_size = f.integer("vocab_size");
  c.hidden_size = f.integer("hidden_size");
  c.intermediate_size = f.integer("intermediate_size");
  c.num_hidden_layers = f.integer("num_hidden_layers");
  c.num_attention_heads = f.integer("num_attention_heads");
  c.num_key_value_heads = f.integer_or("num_key_value_heads", c.num_attention_heads);
  if (c.vocab_size <= 0 || c.hidden_size <= 0 || c.intermediate_size <= 0 ||
      c.num_hidden_layers <= 0 || c.num_attention_heads <= 0 || c.num_key_value_heads <= 0)
    throw Error(what + ": sizes and counts must be positive");
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    throw Error(what + ": num_attention_heads must be a multiple of num_key_value_heads");
  c.head_dim = f.integer_or("head_dim", c.hidden_size / c.num_attention_heads);
  if (c.head_dim <= 0 || c.head_dim % 2 != 0)
    throw Error(what + ": head_dim must be positive and even");
  c.rms_norm_eps = f.number_or("rms_norm_eps", 1e-6);
  c.max_position_embeddings = f.integer_or("max_position_embeddings", 4096);
  c.tie_word_embeddings = f.boolean_or("tie_word_embeddings", c.family == ModelFamily::kGemma);
  c.partial_rotary_factor = f.number_or("partial_rotary_factor", 1.0);
  if (c.partial_rotary_factor <= 0 || c.partial_rotary_factor > 1 || c.rotary_dim() % 2 != 0)
    throw Error(what + ": partial_rotary_factor must give an even rotary dimension <= head_dim");

  // rope: legacy top-level rope_theta + rope_scaling, or the newer rope_parameters object.
  c.rope_theta = f.number_or("rope_theta", 10000.0);
  if (f.has("rope_parameters")) {
    const json& rp = j.at("rope_parameters");
    if (!rp.is_object()) throw Error(what + ": rope_parameters must be an object");
    c.rope_theta = Fields(rp, what + " rope_parameters").number_or("rope_theta", c.rope_theta);
    c.rope_scaling = parse_rope_scaling(rp, c, what);
  } else if (f.has("rope_scaling")) {
    const json& rs = j.at("rope_scaling");
    if (!rs.is_object()) throw Error(what + ": rope_scaling must be an object or null");
    c.rope_scaling = parse_rope_scaling(rs, c, what);
  }

  const bool attention_bias = f.boolean_or("attention_bias", false);
  if (c.model_type == "qwen2") {
    c.qkv_bias = true;
  } else {
    c.qkv_bias = attention_bias;
    c.o_bias = attention_bias;
  }
  c.mlp_bias = f.boolean_or("mlp_bias", false);
  c.qk_norm = c.model_type == "qwen3";

  if (c.family == ModelFamily::kGemma) {
    // Gemma's MLP uses hidden_activation; configs that only say hidden_act "gelu" meant the
    // tanh approximation, which transformers substitutes too.
    c.hidden_act = parse_activation(f.string_or("hidden_activation", "gelu_pytorch_tanh"),
                                    "hidden_activation", what);
  } else {
    c.hidden_act = parse_activation(f.string_or("hidden_act", "silu"), "hidden_act", what);
  }

  if (c.model_type == "qwen2" || c.model_type == "qwen3") {
    if (f.boolean_or("use_sliding_window", false))
      throw Error(what +
                  ": use_sliding_window=true (per-layer sliding windows) is not supported yet");
  } else if (c.model_type == "mistral" || c.model_type == "phi3") {
    c.sliding_window = f.integer_or("sliding_window", 0);
    if (c.sliding_window < 0) throw Error(what + ": sliding_window must be positive or null");
  }
  for (const char* key : {"attn_logit_softcapping", "final_logit_softcapping"})
    if (f.has(key)) throw Error(what + ": '" + std::string(key) + "' is not supported");

  if (f.has("bos_token_id")) c.bos_token_id = f.integer("bos_token_id");
  if (f.has("eos_token_id")) {
    const json& eos = j.at("eos_token_id");
    if (eos.is_number_integer()) {
      c.eos_token_ids.push_back(eos.get<int64_t>());
    } else if (eos.is_array()) {
      for (const auto& id : eos) {
        if (!id.is_number_integer()) throw Error(what + ": eos_token_id entries must be integers");
        c.eos_token_ids.push_back(id.get<int64_t>());
      }
    } else {
      throw Error(what + ": eos_token_id must be an integer or a list");
    }
  }
  return c;
}

namespace {

// The <arch>.* keys junction reads (suffixes after "<arch>."), and those llama.cpp's converters
// write that do not change what is computed here. Any other <arch>.* key is refused by name: a
// key we do not know may change the math (experts, soft-capping, other rope variants).
bool known_gguf_arch_key(const std::string& suffix) {
  static const char* const kKnown[] = {
      "context_length", "embedding_length", "block_count", "feed_forward_length",
      "attention.head_count", "attention.head_count_kv", "attention.key_length",
      "attention.value_length", "attention.layer_norm_rms_epsilon", "attention.sliding_window",
      "rope.freq_base", "rope.dimension_count", "rope.scaling.type", "rope.scaling.factor",
      "rope.scaling.original_context_length", "rope.scaling.attn_factor",
      "rope.scaling.yarn_beta_fast", "rope.scaling.yarn_beta_slow", "vocab_size",
      // informational: how old converters described the files (no effect on the computation)
      "rope.scaling.finetuned", "tensor_data_layout"};
  for (const char* k : kKnown)
    if (suffix == k) return true;
  return false;
}

// llama.cpp's per-dimension rope factors (rope_freqs.weight): F32, one per rotated pair.
std::vector<float> gguf_rope_factors(const GgufTensor& t, int64_t n, const std::string& what) {
  if (t.dtype != DType::F32 || t.ne != std::vector<int64_t>{n})
    throw Error(what + ": tensor '" + t.name + "' must be F32 of " + std::to_string(n) +
                " elements (rope.dimension_count / 2)");
  std::vector<float> out(n);
  std::memcpy(out.data(), t.data, n * sizeof(float));
  for (float f : out)
    if (!(f > 0) || !std::isfinite(f))
      throw Error(what + ": tensor '" + t.name + "' holds a factor that is not positive");
  return out;
}

}  // namespace

ModelConfig config_from_gguf(const GgufFile& g, const std::string& what) {
  ModelConfig c;
  const std::string arch = g.get_string("general.architecture").value_or("");
  const std::string p = arch + ".";
  auto required = [&](const std::string& key) {
    const auto v = g.get_int(p + key);
    if (!v || *v <= 0)
      throw Error(what + ": metadata '" + p + key + "' is missing or not positive");
    return *v;
  };
  c.model_type = arch;
  if (arch == "qwen3" || arch == "qwen2" || arch == "llama") {
    c.family = ModelFamily::kLlama;
  } else if (arch == "gemma") {
    c.family = ModelFamily::kGemma;
  } else if (arch == "phi3") {
    c.family = ModelFamily::kPhi3;
  } else {
    throw Error(what + ": general.architecture '" + arch +
                "' is not supported in GGUF files (junction reads qwen3, qwen2, llama, gemma, "
                "phi3)");
  }
  for (const auto& [key, value] : g.metadata()) {
    if (key.rfind(p, 0) != 0) continue;
    const std::string suffix = key.substr(p.size());
    // An MoE key of zero experts (some converters write it for dense models) changes nothing.
    if ((suffix == "expert_count" || suffix == "expert_used_count") && value.is_integer() &&
        value.as_int() == 0)
      continue;
    if (!known_gguf_arch_key(suffix))
      throw Error(what + ": metadata '" + key + "' is not understood by junction");
  }
  c.num_hidden_layers = required("block_count");
  c.hidden_size = required("embedding_length");
  c.intermediate_size = required("feed_forward_length");
  c.num_attention_heads = required("attention.head_count");
  c.num_key_value_heads = g.get_int(p + "attention.head_count_kv").value_or(c.num_attention_heads);
  if (c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0)
    throw Error(what + ": attention.head_count must be a multiple of attention.head_count_kv");
  c.head_dim =
      g.get_int(p + "attention.key_length").value_or(c.hidden_size / c.num_attention_heads);
  if (c.head_dim <= 0 || c.head_dim % 2 != 0)
    throw Error(what + ": attention.key_length must be positive and even");
  if (const auto v = g.get_int(p + "attention.value_length"); v && *v != c.head_dim)
    throw Error(what + ": attention.value_length different from key_length is not supported");
  // llama.cpp's own defaults where its converters leave a key out (Gemma's writes no
  // rope.freq_base: 10000 is what both llama.cpp and transformers use for it).
  c.max_position_embeddings = g.get_int(p + "context_length").value_or(4096);
  c.rms_norm_eps = g.get_double(p + "attention.layer_norm_rms_epsilon").value_or(1e-6);
  c.rope_theta = g.get_double(p + "rope.freq_base").value_or(10000.0);
  if (const auto dims = g.get_int(p + "rope.dimension_count"); dims && *dims != c.head_dim) {
    if (*dims <= 0 || *dims > c.head_dim || *dims % 2 != 0)
      throw Error(what + ": rope.dimension_count is invalid");
    c.partial_rotary_factor = static_cast<double>(*dims) / static_cast<double>(c.head_dim);
  }
  const std::string scaling = g.get_string(p + "rope.scaling.type").value_or("none");
  if (scaling == "yarn" || scaling == "linear") {
    RopeScaling& r = c.rope_scaling;
    r.type = scaling == "yarn" ? RopeScaling::Type::kYarn : RopeScaling::Type::kLinear;
    r.factor = g.get_double(p + "rope.scaling.factor").value_or(1.0);
    r.original_max_position_embeddings =
        g.get_int(p + "rope.scaling.original_context_length").value_or(c.max_position_embeddings);
    if (const auto a = g.get_double(p + "rope.scaling.attn_factor")) r.attention_factor = *a;
    if (const auto b = g.get_double(p + "rope.scaling.yarn_beta_fast")) r.beta_fast = *b;
    if (const auto b = g.get_double(p + "rope.scaling.yarn_beta_slow")) r.beta_slow = *b;
    if (r.factor <= 0) throw Error(what + ": rope.scaling.factor must be positive");
  } else if (scaling != "none") {
    throw Error(what + ": rope.scaling.type '" + scaling + "' is not supported");
  }
  // Phi-3's long-context variants (su / longrope) come as two factor tensors chosen by context
  // length; junction does not compute them.
  for (const char* name : {"rope_factors_long.weight", "rope_factors_short.weight"})
    if (g.tensor(name))
      throw Error(what + ": tensor '" + std::string(name) +
                  "' (Phi-3 longrope scaling) is not supported");
  if (const GgufTensor* freqs = g.tensor("rope_freqs.weight")) {
    if (c.rope_scaling.type != RopeScaling::Type::kNone)
      throw Error(what + ": rope_freqs.weight together with rope.scaling.type '" + scaling +
                  "' is not supported");
    c.rope_scaling.type = RopeScaling::Type::kFreqFactors;
    c.rope_scaling.freq_factors = gguf_rope_factors(*freqs, c.rotary_dim() / 2, what);
  }
  c.qk_norm = arch == "qwen3";
  c.rope_interleaved = arch == "llama";
  c.hidden_act = c.family == ModelFamily::kGemma ? Activation::kGeluTanh : Activation::kSilu;
  c.tie_word_embeddings = g.tensor("output.weight") == nullptr;
  c.sliding_window = g.get_int(p + "attention.sliding_window").value_or(0);
  if (c.sliding_window < 0) throw Error(what + ": attention.sliding_window must not be negative");
  const GgufTensor* embd = g.tensor("token_embd.weight");
  if (!embd || embd->ne.size() != 2) throw Error(what + ": no 2-D token_embd.weight tensor");
  c.vocab_size = g.get_int(p + "vocab_size").value_or(embd->ne[1]);
  if (const auto bos = g.get_int("tokenizer.ggml.bos_token_id")) c.bos_token_id = *bos;
  if (const auto eos = g.get_int("tokenizer.ggml.eos_token_id")) c.eos_token_ids.push_back(*eos);
  if (const auto eot = g.get_int("tokenizer.ggml.eot_token_id"))
    if (c.eos_token_ids.empty() || c.eos_token_ids[0] != *eot) c.eos_token_ids.push_back(*eot);
  return c;
}

ModelConfig load_model_config(const std::string& model_dir) {
  const auto path = std::filesystem::path(model_dir) / "config.json";
  std::ifstream in(path);
  if (!in)
    throw Error("cannot read " + path.string() + " (is " + model_dir +
                " a Hugging Face model folder?)");
  std::stringstream text;
  text << in.rdbuf();
  return parse_model_config(text.str(), path.string());
}

}  // namespace junction
