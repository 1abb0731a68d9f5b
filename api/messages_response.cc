#include "api/messages_response.h"

#include <stdexcept>

#include "api/json_fields.h"

namespace junction::api {
namespace {

using Json = nlohmann::ordered_json;

}  // namespace

std::string message_id(const std::string& chat_id) {
  const std::string prefix = "chatcmpl-";
  return "msg_" + (chat_id.rfind(prefix, 0) == 0 ? chat_id.substr(prefix.size()) : chat_id);
}

Json stop_reason(const Json& finish_reason) {
  if (!finish_reason.is_string()) return nullptr;
  const std::string r = finish_reason.get<std::string>();
  if (r == "length") return "max_tokens";
  if (r == "tool_calls" || r == "function_call") return "tool_use";
  if (r == "content_filter") return "refusal";
  return "end_turn";
}

Json messages_usage(const Json& usage) {
  const int64_t prompt = count(usage, "prompt_tokens");
  int64_t cached = 0;
  if (auto d = usage.find("prompt_tokens_details"); d != usage.end() && d->is_object())
    cached = count(*d, "cached_tokens");
  cached = std::min(std::max<int64_t>(cached, 0), prompt);
  return {{"input_tokens", prompt - cached},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", cached},
          {"output_tokens", count(usage, "completion_tokens")}};
}

Json message_from_chat(const Json& completion) {
  if (!completion.is_object() || !completion.contains("choices") ||
      !completion["choices"].is_array() || completion["choices"].size() != 1 ||
      !completion["choices"][0].is_object())
    throw std::runtime_error("the chat answer has no single choice");
  const Json& choice = completion["choices"][0];
  const Json& m = choice.contains("message") && choice["message"].is_object()
                      ? choice["message"]
                      : throw std::runtime_error("the chat answer's choice has no message");
  Json content = Json::array();
  // Thinking first, as Anthropic orders blocks.
  const Json* details = m.contains("reasoning_details") && m["reasoning_details"].is_array()
                            ? &m["reasoning_details"]
                            : nullptr;
  bool thinking_from_details = false;
  if (details) {
    for (const Json& d : *details) {
      if (!d.is_object()) continue;
      const std::string type = string_or_empty(d, "type");
      if (type == "reasoning.text") {
        content.push_back({{"type", "thinking"},
                           {"thinking", string_or_empty(d, "text")},
                           {"signature", string_or_empty(d, "signature")}});
        thinking_from_details = true;
      } else if (type == "reasoning.encrypted") {
        content.push_back({{"type", "redacted_thinking"}, {"data", string_or_empty(d, "data")}});
        thinking_from_details = true;
      }
    }
  }
  const std::string reasoning = string_or_empty(m, "reasoning_content");
  if (!thinking_from_details && !reasoning.empty())
    content.push_back({{"type", "thinking"}, {"thinking", reasoning}, {"signature", ""}});
  const std::string text = string_or_empty(m, "content");
  if (!text.empty()) content.push_back({{"type", "text"}, {"text", text}});
  if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
    for (const Json& call : m["tool_calls"]) {
      if (!call.is_object() || !call.contains("function") || !call["function"].is_object())
        continue;
      const std::string arguments = string_or_empty(call["function"], "arguments");
      Json input = Json::parse(arguments, nullptr, /*allow_exceptions=*/false);
      if (!input.is_object()) input = {{"arguments", arguments}};
      content.push_back({{"type", "tool_use"},
                         {"id", string_or_empty(call, "id")},
                         {"name", string_or_empty(call["function"], "name")},
                         {"input", std::move(input)}});
    }
  }
  return {{"id", message_id(string_or_empty(completion, "id"))},
          {"type", "message"},
          {"role", "assistant"},
          {"model", string_or_empty(completion, "model")},
          {"content", std::move(content)},
          {"stop_reason",
           stop_reason(choice.contains("finish_reason") ? choice["finish_reason"] : Json())},
          {"stop_sequence", nullptr},
          {"usage", messages_usage(completion.contains("usage") && completion["usage"].is_object()
                                       ? completion["usage"]
                                       : Json::object())}};
}

}  // namespace junction::api
