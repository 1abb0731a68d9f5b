// tokenizer_config.json reader; see tokenizer_config.h.
#include "tokenizer/tokenizer_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_depth.h"

namespace junction::tokenizer {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Special tokens are strings or AddedToken objects {"content": ...}; null means none.
std::optional<std::string> token_field(const nlohmann::json& config, const char* key,
                                       const std::string& file) {
  if (!config.contains(key) || config[key].is_null()) return std::nullopt;
  const auto& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return v["content"].get<std::string>();
  }
  throw Error(file + ": " + key + " must be a string or {\"content\": string}");
}

std::optional<bool> bool_field(const nlohmann::json& config, const char* key,
                               const std::string& file) {
  if (!config.contains(key) || config[key].is_null()) return std::nullopt;
  if (!config[key].is_boolean()) throw Error(file + ": " + key + " must be true or false");
  return config[key].get<bool>();
}

}  // namespace

TokenizerConfig load_tokenizer_config(const std::string& dir) {
  TokenizerConfig out;
  const std::filesystem::path config_path = std::filesystem::path(dir) / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    const std::string file = config_path.string();
    nlohmann::json config;
    try {
      const std::string text = read_file(config_path);
      check_json_depth(text, file);
      config = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw Error(file + ": not valid JSON: " + e.what());
    }
    if (!config.is_object()) throw Error(file + ": expected a JSON object");
    out.bos_token = token_field(config, "bos_token", file);
    out.eos_token = token_field(config, "eos_token", file);
    out.pad_token = token_field(config, "pad_token", file);
    out.add_bos_token = bool_field(config, "add_bos_token", file);
    out.add_eos_token = bool_field(config, "add_eos_token", file);
    if (config.contains("chat_template")) {
      const auto& t = config["chat_template"];
      if (t.is_string()) {
        out.chat_template = t.get<std::string>();
      } else if (t.is_array()) {
        // A list of named templates: the one called "default" is the chat template.
        for (const auto& named : t) {
          if (named.is_object() && named.value("name", std::string()) == "default" &&
              named.contains("template") && named["template"].is_string()) {
            out.chat_template = named["template"].get<std::string>();
          }
        }
      } else if (!t.is_null()) {
        throw Error(file + ": chat_template must be a string or a list of {name, template}");
      }
    }
  }
  // transformers saves the template in its own file since 4.43 and prefers it when present.
  const std::filesystem::path jinja_path = std::filesystem::path(dir) / "chat_template.jinja";
  if (std::filesystem::exists(jinja_path)) out.chat_template = read_file(jinja_path);
  return out;
}

}  // namespace junction::tokenizer
