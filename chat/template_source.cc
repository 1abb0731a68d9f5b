// Locating a model's chat template (see template_source.h).
#include "chat/template_source.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/json_depth.h"

namespace junction::chat {
namespace {

bool read_file(const std::filesystem::path& p, std::string& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

// A special token in tokenizer_config.json is a string or {"content": "..."} (AddedToken).
std::string token_text(const nlohmann::json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  return "";
}

}  // namespace

TemplateSource find_chat_template(const std::string& model_dir, const std::string& override_path) {
  namespace fs = std::filesystem;
  TemplateSource src;
  fs::path config_path = fs::path(model_dir) / "tokenizer_config.json";
  nlohmann::json config;
  std::string config_text;
  if (read_file(config_path, config_text)) {
    config = junction::parse_json(config_text);
    if (config.is_discarded()) throw junction::Error(config_path.string() + " is not valid JSON");
    src.bos_token = token_text(config, "bos_token");
    src.eos_token = token_text(config, "eos_token");
  }
  if (!override_path.empty()) {
    if (!read_file(override_path, src.text))
      throw junction::Error("cannot read chat template file " + override_path);
    src.origin = override_path;
    return src;
  }
  if (config.is_object()) {
    auto it = config.find("chat_template");
    if (it != config.end() && it->is_string()) {
      src.text = it->get<std::string>();
      src.origin = config_path.string() + " (chat_template)";
      return src;
    }
    if (it != config.end() && it->is_array()) {
      for (const auto& entry : *it) {
        if (entry.is_object() && entry.value("name", "") == "default" &&
            entry.contains("template") && entry["template"].is_string()) {
          src.text = entry["template"].get<std::string>();
          src.origin = config_path.string() + " (chat_template, name \"default\")";
          return src;
        }
      }
      throw junction::Error(
          config_path.string() +
          ": chat_template is a list without a \"default\" entry; pass a template file");
    }
  }
  fs::path jinja_path = fs::path(model_dir) / "chat_template.jinja";
  if (read_file(jinja_path, src.text)) {
    src.origin = jinja_path.string();
    return src;
  }
  throw junction::Error("no chat template in " + model_dir +
                        ": looked for chat_template in tokenizer_config.json and for "
                        "chat_template.jinja; pass a template file");
}

}  // namespace junction::chat
