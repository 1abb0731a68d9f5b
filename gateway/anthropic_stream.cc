#include "gateway/anthropic_stream.h"

#include "core/json_depth.h"
#include "gateway/anthropic_response.h"

namespace junction::gateway {

using Json = nlohmann::json;

namespace {

const std::string* string_at(const Json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_string()
             ? &o[key].get_ref<const std::string&>()
             : nullptr;
}

}  // namespace

std::string AnthropicStream::chunk(Json delta, Json finish_reason) {
  if (!role_sent_) {
    delta["role"] = "assistant";
    role_sent_ = true;
  }
  Json c = {{"id", id_},
            {"object", "chat.completion.chunk"},
            {"created", created_},
            {"model", model_},
            {"choices", Json::array({{{"index", 0},
                                      {"delta", std::move(delta)},
                                      {"logprobs", nullptr},
                                      {"finish_reason", std::move(finish_reason)}}})}};
  return c.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string AnthropicStream::reasoning_chunk(int64_t detail_index, const std::string& text) {
  return chunk({{"reasoning_content", text},
                {"reasoning_details", Json::array({{{"type", "reasoning.text"},
                                                    {"text", text},
                                                    {"format", kAnthropicReasoningFormat},
                                                    {"index", detail_index}}})}});
}

std::string AnthropicStream::error_payload(const std::string& type, const std::string& message) {
  return Json{
      {"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}}
      .dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string AnthropicStream::upstream_error(const Json& e) {
  const Json& err = e.contains("error") ? e["error"] : Json();
  const std::string* etype = string_at(err, "type");
  const std::string* message = string_at(err, "message");
  return error_payload(etype ? *etype : "api_error",
                       (etype ? *etype + ": " : std::string()) +
                           (message ? *message : std::string("unknown error")));
}

std::vector<std::string> AnthropicStream::on_event(std::string_view data) {
  const Json e = parse_json(data);
  const std::string* type = string_at(e, "type");
  if (e.is_discarded() || !type)
    return {error_payload("upstream_error",
                          "upstream sent an event that is not an Anthropic "
                          "stream event")};
  if (*type == "ping") return {};
  if (*type == "error") return {upstream_error(e)};
  if (*type == "message_start") return on_message_start(e);
  if (!started_)
    return {error_payload("upstream_error",
                          "upstream stream event '" + *type + "' came before message_start")};

  const int64_t index =
      e.contains("index") && e["index"].is_number_integer() ? e["index"].get<int64_t>() : -1;
  if (*type == "content_block_start")
    return on_block_start(index, e.contains("content_block") ? e["content_block"] : Json());
  if (*type == "content_block_delta")
    return on_block_delta(index, e.contains("delta") ? e["delta"] : Json());
  if (*type == "message_delta") return on_message_delta(e);
  if (*type == "message_stop") return on_message_stop();
  return {};  // content_block_stop; event types added after this was written
}

std::vector<std::string> AnthropicStream::on_message_start(const Json& e) {
  const Json& m = e.contains("message") ? e["message"] : Json();
  if (const std::string* id = string_at(m, "id")) id_ = *id;
  if (const std::string* model = string_at(m, "model")) model_ = *model;
  if (m.is_object() && m.contains("usage") && m["usage"].is_object()) usage_ = m["usage"];
  started_ = true;
  return {};  // the role goes out with the first delta: see the header
}

std::vector<std::string> AnthropicStream::on_block_start(int64_t index, const Json& block) {
  const std::string* block_type = string_at(block, "type");
  if (!block_type) return {};
  if (*block_type == "tool_use") return {tool_call_start(index, block)};
  if (*block_type == "text") {
    const std::string* text = string_at(block, "text");
    if (text && !text->empty()) return {chunk({{"content", *text}})};
  } else if (*block_type == "thinking") {
    const auto detail = static_cast<int64_t>(reasoning_index_.size());
    reasoning_index_[index] = detail;
    const std::string* thinking = string_at(block, "thinking");
    if (thinking && !thinking->empty()) return {reasoning_chunk(detail, *thinking)};
  } else if (*block_type == "redacted_thinking") {
    const auto detail = static_cast<int64_t>(reasoning_index_.size());
    reasoning_index_[index] = detail;
    Json entry = reasoning_detail_from_block(block, static_cast<size_t>(detail));
    return {chunk({{"reasoning_details", Json::array({std::move(entry)})}})};
  }
  return {};
}

std::string AnthropicStream::tool_call_start(int64_t index, const Json& block) {
  const auto tool = static_cast<int64_t>(tool_index_.size());
  tool_index_[index] = tool;
  const std::string* id = string_at(block, "id");
  const std::string* name = string_at(block, "name");
  return chunk({{"tool_calls",
                 Json::array({{{"index", tool},
                               {"id", id ? *id : ""},
                               {"type", "function"},
                               {"function", {{"name", name ? *name : ""}, {"arguments", ""}}}}})}});
}

std::vector<std::string> AnthropicStream::on_block_delta(int64_t index, const Json& delta) {
  const std::string* delta_type = string_at(delta, "type");
  if (!delta_type) return {};
  if (*delta_type == "text_delta") {
    if (const std::string* text = string_at(delta, "text")) return {chunk({{"content", *text}})};
  } else if (*delta_type == "thinking_delta") {
    const std::string* thinking = string_at(delta, "thinking");
    const auto detail = reasoning_index_.find(index);
    if (thinking && detail != reasoning_index_.end())
      return {reasoning_chunk(detail->second, *thinking)};
    if (thinking) return {chunk({{"reasoning_content", *thinking}})};  // no block_start seen
  } else if (*delta_type == "signature_delta") {
    const std::string* signature = string_at(delta, "signature");
    const auto detail = reasoning_index_.find(index);
    if (signature && detail != reasoning_index_.end())
      return {chunk({{"reasoning_details", Json::array({{{"type", "reasoning.text"},
                                                         {"signature", *signature},
                                                         {"format", kAnthropicReasoningFormat},
                                                         {"index", detail->second}}})}})};
  } else if (*delta_type == "input_json_delta") {
    const std::string* partial = string_at(delta, "partial_json");
    const auto tool = tool_index_.find(index);
    if (partial && !partial->empty() && tool != tool_index_.end())
      return {chunk({{"tool_calls", Json::array({{{"index", tool->second},
                                                  {"function", {{"arguments", *partial}}}}})}})};
  }
  return {};  // citations_delta and later kinds carry nothing OpenAI shows
}

// Usage here is cumulative: each field replaces the last value seen.
std::vector<std::string> AnthropicStream::on_message_delta(const Json& e) {
  if (e.contains("usage") && e["usage"].is_object())
    for (const auto& [key, value] : e["usage"].items()) usage_[key] = value;
  const Json& delta = e.contains("delta") ? e["delta"] : Json();
  if (delta.is_object() && delta.contains("stop_reason") && !delta["stop_reason"].is_null())
    return {chunk(Json::object(), openai_finish_reason(delta["stop_reason"]))};
  return {};
}

std::vector<std::string> AnthropicStream::on_message_stop() {
  finished_ = true;
  Json usage = {{"id", id_},
                {"object", "chat.completion.chunk"},
                {"created", created_},
                {"model", model_},
                {"choices", Json::array()},
                {"usage", openai_usage_from_anthropic(usage_)}};
  return {usage.dump(), "[DONE]"};
}

}  // namespace junction::gateway
