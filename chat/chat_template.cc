// ChatTemplate: builds the render context like transformers' apply_chat_template.
#include "chat/chat_template.h"

#include "core/error.h"

namespace junction::chat {

ChatTemplate::ChatTemplate(std::string_view source, std::string bos_token, std::string eos_token,
                           jinja::TemplateOptions options)
    : template_(source, std::move(options)),
      hermes_tool_calls_(source.find("<tool_call>") != std::string_view::npos),
      bos_token_(std::move(bos_token)),
      eos_token_(std::move(eos_token)) {}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages,
                                 const nlohmann::ordered_json& tools, bool add_generation_prompt,
                                 const nlohmann::ordered_json& extra_kwargs) const {
  if (!messages.is_array()) throw junction::Error("chat template: messages must be a JSON array");
  if (!extra_kwargs.is_null() && !extra_kwargs.is_object())
    throw junction::Error("chat template: extra kwargs must be a JSON object");
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  nlohmann::ordered_json msgs = messages;
  for (auto& m : msgs) {
    if (m.is_object() && m.contains("content") && m["content"].is_null()) m["content"] = "";
  }
  // Special tokens first, then explicit kwargs (which may override them), as HF merges them.
  if (!bos_token_.empty()) context["bos_token"] = bos_token_;
  if (!eos_token_.empty()) context["eos_token"] = eos_token_;
  if (extra_kwargs.is_object()) {
    for (auto it = extra_kwargs.begin(); it != extra_kwargs.end(); ++it)
      context[it.key()] = it.value();
  }
  context["messages"] = std::move(msgs);
  context["tools"] = tools;
  context["add_generation_prompt"] = add_generation_prompt;
  return template_.render(context);
}

}  // namespace junction::chat
