// A model's chat template applied to OpenAI-style messages, the way transformers'
// apply_chat_template does it: variables messages, tools, add_generation_prompt, bos_token,
// eos_token, plus extra keyword arguments (enable_thinking, ...).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "chat/jinja/template.h"

namespace junction::chat {

class ChatTemplate {
 public:
  // Parses the template; throws jinja::TemplateError (a junction::Error) on syntax errors.
  // Empty bos/eos tokens are not passed to the template (HF passes only tokens that are set).
  ChatTemplate(std::string_view source, std::string bos_token, std::string eos_token,
               jinja::TemplateOptions options = {});

  // messages: array of {role, content, ...}; `content: null` becomes "" first. tools: array or
  // null (passed as none). extra_kwargs: object (or null) of further template variables.
  std::string render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                     bool add_generation_prompt,
                     const nlohmann::ordered_json& extra_kwargs = nlohmann::ordered_json()) const;

  // The template writes tool calls as Hermes' <tool_call>{json}</tool_call> (Qwen, Hermes).
  bool hermes_tool_calls() const { return hermes_tool_calls_; }

 private:
  jinja::Template template_;
  bool hermes_tool_calls_ = false;
  std::string bos_token_;
  std::string eos_token_;
};

}  // namespace junction::chat
