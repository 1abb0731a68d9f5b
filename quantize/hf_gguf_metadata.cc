#include "quantize/hf_gguf_metadata.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "formats/gguf_writer.h"
#include "quantize/hf_json_file.h"

namespace junction {
namespace {

using json = nlohmann::json;

// gguf-py's Metadata.id_to_title: words split on '-' and spaces; all-lowercase words that are
// not version numbers are title-cased the way Python's str.title() does it.
std::string id_to_title(const std::string& id) {
  std::string spaced = id;
  for (char& c : spaced)
    if (c == '-') c = ' ';
  std::istringstream words(spaced);
  std::string word, out;
  static const std::regex version(R"(^(v\d+(?:\.\d+)*|\d.*)$)");
  while (words >> word) {
    bool has_upper = false, has_lower = false;
    for (unsigned char c : word) {
      has_upper |= std::isupper(c) != 0;
      has_lower |= std::islower(c) != 0;
    }
    if (has_lower && !has_upper && !std::regex_match(word, version)) {
      bool in_word = false;  // str.title(): a letter after a non-letter starts a word
      for (char& c : word) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (std::isalpha(u)) {
          c = static_cast<char>(in_word ? std::tolower(u) : std::toupper(u));
          in_word = true;
        } else {
          in_word = false;
        }
      }
    }
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

}  // namespace

std::string gguf_architecture(const std::string& model_type) {
  if (model_type == "qwen3" || model_type == "qwen2" || model_type == "gemma" ||
      model_type == "phi3")
    return model_type;
  if (model_type == "llama" || model_type == "mistral") return "llama";
  throw Error("converting '" + model_type +
              "' models to GGUF is not supported (qwen3, qwen2, llama, mistral, gemma, phi3 are)");
}

std::string gguf_tensor_name(const std::string& hf) {
  static const std::map<std::string, std::string> top = {
      {"model.embed_tokens.weight", "token_embd.weight"},
      {"lm_head.weight", "output.weight"},
      {"model.norm.weight", "output_norm.weight"},
  };
  if (auto it = top.find(hf); it != top.end()) return it->second;
  static const std::map<std::string, std::string> layer = {
      {"input_layernorm", "attn_norm"},
      {"self_attn.q_proj", "attn_q"},
      {"self_attn.k_proj", "attn_k"},
      {"self_attn.v_proj", "attn_v"},
      {"self_attn.o_proj", "attn_output"},
      {"self_attn.q_norm", "attn_q_norm"},
      {"self_attn.k_norm", "attn_k_norm"},
      {"post_attention_layernorm", "ffn_norm"},
      {"mlp.gate_proj", "ffn_gate"},
      {"mlp.up_proj", "ffn_up"},
      {"mlp.down_proj", "ffn_down"},
      // Phi-3's fused projections keep their layout: q, k, v rows; gate rows then up rows.
      {"self_attn.qkv_proj", "attn_qkv"},
      {"mlp.gate_up_proj", "ffn_up"},
  };
  static const std::regex pattern(R"(^model\.layers\.(\d+)\.(.+)\.(weight|bias)$)");
  std::smatch m;
  if (!std::regex_match(hf, m, pattern)) return {};
  const auto it = layer.find(m[2].str());
  if (it == layer.end()) return {};
  return "blk." + m[1].str() + "." + it->second + "." + m[3].str();
}

std::string gguf_size_label(uint64_t n_params) {
  const double n = static_cast<double>(n_params);
  double scaled;
  const char* suffix;
  if (n > 1e12) {
    scaled = n * 1e-12, suffix = "T";
  } else if (n > 1e9) {
    scaled = n * 1e-9, suffix = "B";
  } else if (n > 1e6) {
    scaled = n * 1e-6, suffix = "M";
  } else {
    scaled = n * 1e-3, suffix = "K";
  }
  // Two significant digits at least: digits of the rounded integer part, leading zeros dropped.
  std::string whole = std::to_string(static_cast<long long>(std::nearbyint(scaled)));
  whole.erase(0, whole.find_first_not_of('0') == std::string::npos ? whole.size()
                                                                   : whole.find_first_not_of('0'));
  const int decimals = std::max(2 - static_cast<int>(whole.size()), 0);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f%s", decimals, scaled, suffix);
  return buf;
}

GgufMetadata hf_model_metadata(const std::string& model_dir, uint64_t n_params) {
  const std::filesystem::path dir(model_dir);
  const json c = read_hf_json(dir / "config.json");
  const std::string model_type = c.value("model_type", "");
  const std::string arch = gguf_architecture(model_type);
  const std::string p = arch + ".";
  GgufMetadata m;
  m.emplace_back("general.architecture", gguf_string(arch));
  m.emplace_back("general.type", gguf_string("model"));
  std::string folder = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (folder.empty())
    folder = std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
  m.emplace_back("general.name", gguf_string(id_to_title(folder)));
  m.emplace_back("general.size_label", gguf_string(gguf_size_label(n_params)));

  auto u32 = [&](const char* hf_key, const std::string& key) {
    if (c.contains(hf_key) && c[hf_key].is_number_integer())
      m.emplace_back(p + key, gguf_uint32(c[hf_key].get<uint32_t>()));
  };
  auto f32 = [&](const char* hf_key, const std::string& key) {
    if (c.contains(hf_key) && c[hf_key].is_number())
      m.emplace_back(p + key, gguf_float32(c[hf_key].get<float>()));
  };
  auto integer = [&](const char* hf_key) {
    if (!c.contains(hf_key) || !c[hf_key].is_number_integer())
      throw Error(model_dir + "/config.json: '" + std::string(hf_key) +
                  "' is missing or not an integer (the GGUF needs it)");
    return c[hf_key].get<int64_t>();
  };
  if (arch == "gemma") {  // GemmaModel.set_gguf_parameters: its own keys, no rope keys
    u32("max_position_embeddings", "context_length");
    u32("hidden_size", "embedding_length");
    u32("num_hidden_layers", "block_count");
    u32("intermediate_size", "feed_forward_length");
    u32("num_attention_heads", "attention.head_count");
    m.emplace_back(p + "attention.head_count_kv",
                   gguf_uint32(static_cast<uint32_t>(c.contains("num_key_value_heads")
                                                         ? integer("num_key_value_heads")
                                                         : integer("num_attention_heads"))));
    f32("rms_norm_eps", "attention.layer_norm_rms_epsilon");
    m.emplace_back(p + "attention.key_length", gguf_uint32(integer("head_dim")));
    m.emplace_back(p + "attention.value_length", gguf_uint32(integer("head_dim")));
    return m;
  }
  if (arch == "phi3") {  // Phi3MiniModel.set_gguf_parameters
    const int64_t n_embd = integer("hidden_size"), n_head = integer("num_attention_heads");
    const double rot_pct =
        c.contains("partial_rotary_factor") ? c["partial_rotary_factor"].get<double>() : 1.0;
    u32("max_position_embeddings", "context_length");
    m.emplace_back(p + "rope.scaling.original_context_length",
                   gguf_uint32(static_cast<uint32_t>(integer("original_max_position_embeddings"))));
    u32("hidden_size", "embedding_length");
    u32("intermediate_size", "feed_forward_length");
    u32("num_hidden_layers", "block_count");
    u32("num_attention_heads", "attention.head_count");
    u32("num_key_value_heads", "attention.head_count_kv");
    f32("rms_norm_eps", "attention.layer_norm_rms_epsilon");
    m.emplace_back(p + "rope.dimension_count",
                   gguf_uint32(static_cast<uint32_t>(
                       static_cast<int64_t>(rot_pct * static_cast<double>(n_embd)) / n_head)));
    m.emplace_back(p + "rope.freq_base", gguf_float32(c.value("rope_theta", 10000.0f)));
    const json window = c.value("sliding_window", json());
    m.emplace_back(p + "attention.sliding_window",
                   gguf_uint32(window.is_number_integer() ? window.get<uint32_t>() : 0));
    return m;
  }
  u32("num_hidden_layers", "block_count");
  u32("max_position_embeddings", "context_length");
  u32("hidden_size", "embedding_length");
  u32("intermediate_size", "feed_forward_length");
  u32("num_attention_heads", "attention.head_count");
  u32("num_key_value_heads", "attention.head_count_kv");
  f32("rope_theta", "rope.freq_base");
  f32("rms_norm_eps", "attention.layer_norm_rms_epsilon");
  if (c.contains("head_dim") && c["head_dim"].is_number_integer()) {
    u32("head_dim", "attention.key_length");
    u32("head_dim", "attention.value_length");
  }
  if (arch == "llama") {  // LlamaModel adds the vocabulary size and the rotary dimensions
    u32("vocab_size", "vocab_size");
    const int64_t rope_dim =
        c.contains("head_dim") && c["head_dim"].is_number_integer()
            ? c["head_dim"].get<int64_t>()
            : c.at("hidden_size").get<int64_t>() / c.at("num_attention_heads").get<int64_t>();
    m.emplace_back(p + "rope.dimension_count", gguf_uint32(static_cast<uint32_t>(rope_dim)));
    // Mistral 7B v0.1's 4096-token sliding window: the converter drops it (llama.cpp runs such
    // files with full attention); it is kept here so the file computes what config.json says.
    // llama.cpp ignores the key.
    if (model_type == "mistral" && c.contains("sliding_window") &&
        c["sliding_window"].is_number_integer() && c["sliding_window"].get<int64_t>() > 0)
      u32("sliding_window", "attention.sliding_window");
  }
  if (c.contains("rope_scaling") && c["rope_scaling"].is_object()) {
    const json& r = c["rope_scaling"];
    const std::string type = r.value("rope_type", r.value("type", ""));
    if (type == "yarn" || type == "linear") {
      m.emplace_back(p + "rope.scaling.type", gguf_string(type));
      m.emplace_back(p + "rope.scaling.factor", gguf_float32(r.value("factor", 1.0f)));
      if (type == "yarn" && r.contains("original_max_position_embeddings"))
        m.emplace_back(p + "rope.scaling.original_context_length",
                       gguf_uint32(r["original_max_position_embeddings"].get<uint32_t>()));
    }
    // llama3 scaling is no key: the converter writes the rope_freqs.weight tensor instead.
  }
  return m;
}

std::vector<float> llama3_rope_freq_factors(const std::string& model_dir) {
  const json c = read_hf_json(std::filesystem::path(model_dir) / "config.json");
  const json r = c.value("rope_scaling", json());
  if (!r.is_object() || r.value("rope_type", r.value("type", "")) != "llama3") return {};
  // LlamaModel.generate_extra_tensors, in torch's float32 where it computes in tensors.
  const double base = c.value("rope_theta", 10000.0);
  const int64_t dim =
      c.contains("head_dim") && c["head_dim"].is_number_integer()
          ? c["head_dim"].get<int64_t>()
          : c.at("hidden_size").get<int64_t>() / c.at("num_attention_heads").get<int64_t>();
  const double factor = r.value("factor", 8.0);
  const double low_freq_factor = r.value("low_freq_factor", 1.0);
  const double high_freq_factor = r.value("high_freq_factor", 4.0);
  const double old_context_len = r.value("original_max_position_embeddings", 8192.0);
  const double low_freq_wavelen = old_context_len / low_freq_factor;
  const double high_freq_wavelen = old_context_len / high_freq_factor;
  std::vector<float> factors;
  for (int64_t i = 0; i < dim; i += 2) {
    // freqs = 1.0 / (base ** (arange(0, dim, 2, dtype=float32) / dim)): float32 throughout
    const float exponent = static_cast<float>(i) / static_cast<float>(dim);
    const float freq = 1.0f / std::pow(static_cast<float>(base), exponent);
    const float wavelen = static_cast<float>(6.283185307179586) / freq;  // 2 * math.pi / freq
    if (wavelen < high_freq_wavelen) {
      factors.push_back(1.0f);
    } else if (wavelen > low_freq_wavelen) {
      factors.push_back(static_cast<float>(factor));
    } else {
      const float smooth =
          (static_cast<float>(old_context_len) / wavelen - static_cast<float>(low_freq_factor)) /
          static_cast<float>(high_freq_factor - low_freq_factor);
      factors.push_back(1.0f / ((1.0f - smooth) / static_cast<float>(factor) + smooth));
    }
  }
  return factors;
}

}  // namespace junction
