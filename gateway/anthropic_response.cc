#include "gateway/anthropic_response.h"

#include "core/json_depth.h"
#include "http/api_error.h"

namespace junction::gateway {

using Json = nlohmann::json;

namespace {

int64_t count(const Json& usage, const char* key) {
  return usage.is_object() && usage.contains(key) && usage[key].is_number_integer()
             ? usage[key].get<int64_t>()
             : 0;
}

// o[key] when it is a string, else "" (a malformed upstream answer must not throw here).
std::string text_at(const Json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : "";
}

}  // namespace

Json reasoning_detail_from_block(const Json& block, size_t index) {
  Json detail;
  if (block.is_object() && block.contains("type") && block["type"] == "redacted_thinking") {
    detail = {{"type", "reasoning.encrypted"}, {"data", text_at(block, "data")}};
  } else {
    detail = {{"type", "reasoning.text"}, {"text", text_at(block, "thinking")}};
    if (block.is_object() && block.contains("signature") && block["signature"].is_string())
      detail["signature"] = block["signature"];
  }
  detail["format"] = kAnthropicReasoningFormat;
  detail["index"] = index;
  return detail;
}

Json openai_usage_from_anthropic(const Json& usage) {
  const int64_t cached = count(usage, "cache_read_input_tokens");
  const int64_t prompt =
      count(usage, "input_tokens") + cached + count(usage, "cache_creation_input_tokens");
  const int64_t completion = count(usage, "output_tokens");
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion},
          {"prompt_tokens_details", {{"cached_tokens", cached}}}};
}

Json openai_finish_reason(const Json& stop_reason) {
  if (!stop_reason.is_string()) return Json();
  const std::string& r = stop_reason.get_ref<const std::string&>();
  if (r == "max_tokens") return "length";
  if (r == "tool_use") return "tool_calls";
  if (r == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn and reasons added later
}

Json openai_completion_from_anthropic(const Json& message, int64_t created) {
  std::string text, thinking;
  bool has_text = false, has_thinking = false;
  Json tool_calls = Json::array(), reasoning_details = Json::array();
  if (message.contains("content") && message["content"].is_array()) {
    for (const Json& block : message["content"]) {
      if (!block.is_object() || !block.contains("type")) continue;
      const Json& type = block["type"];
      if (type == "text" && block.contains("text") && block["text"].is_string()) {
        text += block["text"].get<std::string>();
        has_text = true;
      } else if (type == "thinking" && block.contains("thinking") &&
                 block["thinking"].is_string()) {
        thinking += block["thinking"].get<std::string>();
        has_thinking = true;
        reasoning_details.push_back(reasoning_detail_from_block(block, reasoning_details.size()));
      } else if (type == "redacted_thinking") {
        reasoning_details.push_back(reasoning_detail_from_block(block, reasoning_details.size()));
      } else if (type == "tool_use") {
        tool_calls.push_back(
            {{"id", text_at(block, "id")},
             {"type", "function"},
             {"function",
              {{"name", text_at(block, "name")},
               {"arguments", block.contains("input") ? block["input"].dump() : "{}"}}}});
      }
    }
  }
  Json msg = {{"role", "assistant"}, {"content", has_text ? Json(text) : Json()}};
  if (has_thinking) msg["reasoning_content"] = thinking;
  if (!reasoning_details.empty()) msg["reasoning_details"] = std::move(reasoning_details);
  if (!tool_calls.empty()) msg["tool_calls"] = std::move(tool_calls);
  const Json finish =
      openai_finish_reason(message.contains("stop_reason") ? message["stop_reason"] : Json());
  return {{"id", text_at(message, "id")},
          {"object", "chat.completion"},
          {"created", created},
          {"model", text_at(message, "model")},
          {"choices", Json::array({{{"index", 0},
                                    {"message", std::move(msg)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", finish.is_null() ? Json("stop") : finish}}})},
          {"usage",
           openai_usage_from_anthropic(message.contains("usage") ? message["usage"] : Json())}};
}

std::string openai_error_from_anthropic(int status, std::string_view body) {
  const Json j = parse_json(body);
  std::string type = status == 401   ? "authentication_error"
                     : status == 403 ? "permission_error"
                     : status == 404 ? "not_found_error"
                     : status == 429 ? "rate_limit_error"
                     : status >= 500 ? "api_error"
                                     : "invalid_request_error";
  std::string message = "upstream answered HTTP " + std::to_string(status);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const Json& e = j["error"];
    if (e.contains("type") && e["type"].is_string()) type = e["type"].get<std::string>();
    if (e.contains("message") && e["message"].is_string())
      message = e["message"].get<std::string>();
  } else if (!body.empty()) {
    message += ": " + std::string(body.substr(0, 512));
  }
  return http::ApiError(status, message, type).to_json();
}

}  // namespace junction::gateway
