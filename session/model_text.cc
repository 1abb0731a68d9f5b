#include "session/model_text.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "formats/gguf.h"
#include "pull/model_cache.h"
#include "tokenizer/gguf_vocab.h"

namespace junction::session {
namespace {

// A folder names a template when tokenizer_config.json has chat_template or chat_template.jinja
// is there; one that names none (a base model) has no template rather than an unreadable one.
bool folder_names_template(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "chat_template.jinja")) return true;
  std::ifstream in(dir / "tokenizer_config.json");
  if (!in) return false;
  const auto config = nlohmann::json::parse(in, nullptr, false);
  return config.is_discarded() || config.contains("chat_template");  // find_chat_template says why
}

}  // namespace

ModelText load_model_text(const std::string& model_path, const std::string& template_override) {
  namespace fs = std::filesystem;
  ModelText text;
  const bool folder = fs::is_directory(model_path);
  if (folder) {
    if (fs::exists(fs::path(model_path) / "tokenizer.json"))
      text.tokenizer =
          std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::load(model_path));
  } else if (const auto gguf = GgufFile::open(model_path); gguf->find("tokenizer.ggml.model")) {
    text.tokenizer = std::make_unique<tokenizer::Tokenizer>(tokenizer::tokenizer_from_gguf(*gguf));
  }
  if (!text.tokenizer) return text;

  chat::TemplateSource source;
  if (!template_override.empty() || (folder && folder_names_template(model_path)))
    source = chat::find_chat_template(folder ? model_path : "", template_override);
  if (source.text.empty() && !folder) {
    source.text = text.tokenizer->chat_template();
    source.origin = model_path + " (tokenizer.chat_template)";
  }
  const tokenizer::Tokenizer& tok = *text.tokenizer;
  if (source.bos_token.empty() && tok.bos_id())
    source.bos_token = std::string(tok.id_to_token(*tok.bos_id()));
  if (source.eos_token.empty() && tok.eos_id())
    source.eos_token = std::string(tok.id_to_token(*tok.eos_id()));
  if (!source.text.empty()) text.chat_template = std::move(source);
  return text;
}

std::string default_model_path(bool* is_demo) {
  *is_demo = false;
  if (const char* env = std::getenv("JUNCTION_MODEL"); env && *env)
    return pull::resolve_model_path(env);
  try {
    return pull::resolve_model_path("deepseek-r1-0528-qwen3-8b");
  } catch (const Error&) {
  }
  *is_demo = true;
  return JUNCTION_DEMO_MODEL;
}

}  // namespace junction::session
