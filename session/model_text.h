// The text side of a model, wherever it lives: the tokenizer and chat template of a Hugging Face
// folder (tokenizer.json, tokenizer_config.json / chat_template.jinja) or of a GGUF file
// (tokenizer.ggml.* and tokenizer.chat_template metadata), with an optional template override.
// open_model (session/open_model.h) reads every model's text through it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "chat/template_source.h"
#include "tokenizer/tokenizer.h"

namespace junction::session {

struct ModelText {
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;    // null: the model ships none
  std::optional<chat::TemplateSource> chat_template;  // null: no template found
};

// Throws junction::Error for a tokenizer or template that exists but cannot be read.
ModelText load_model_text(const std::string& model_path, const std::string& template_override = "");

// The model `junction serve` / `make run` use when none is named: $JUNCTION_MODEL, else a pulled
// DeepSeek-R1-0528-Qwen3-8B, else the bundled tiny demo model (sets *is_demo).
std::string default_model_path(bool* is_demo);

}  // namespace junction::session
