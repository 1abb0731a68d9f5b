#include "api/messages_stream.h"

#include "api/json_fields.h"
#include "api/messages_error.h"
#include "api/messages_response.h"

namespace junction::api {

using Json = nlohmann::ordered_json;

std::string sse_named_event(std::string_view name, const Json& data) {
  std::string out = "event: ";
  out.append(name).append("\ndata: ");
  out += data.dump(-1, ' ', false, Json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

std::string MessagesStream::start(const Json& chunk) {
  if (started_) return "";
  started_ = true;
  const Json message = {{"id", message_id(string_or_empty(chunk, "id"))},
                        {"type", "message"},
                        {"role", "assistant"},
                        {"model", string_or_empty(chunk, "model")},
                        {"content", Json::array()},
                        {"stop_reason", nullptr},
                        {"stop_sequence", nullptr},
                        {"usage", messages_usage(Json::object())}};
  return sse_named_event("message_start", {{"type", "message_start"}, {"message", message}});
}

std::string MessagesStream::close_block() {
  if (block_ == Block::kNone) return "";
  block_ = Block::kNone;
  return sse_named_event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
}

std::string MessagesStream::open(Block kind, Json content_block) {
  std::string out = close_block();
  block_ = kind;
  ++index_;
  out += sse_named_event("content_block_start", {{"type", "content_block_start"},
                                                 {"index", index_},
                                                 {"content_block", std::move(content_block)}});
  return out;
}

std::string MessagesStream::delta(Json d) {
  return sse_named_event("content_block_delta",
                         {{"type", "content_block_delta"}, {"index", index_}, {"delta", d}});
}

std::string MessagesStream::on_choice_delta(const Json& d) {
  std::string out;
  const std::string reasoning = string_or_empty(d, "reasoning_content");
  if (!reasoning.empty()) {
    if (block_ != Block::kThinking)
      out += open(Block::kThinking, {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}});
    out += delta({{"type", "thinking_delta"}, {"thinking", reasoning}});
  }
  if (auto details = d.find("reasoning_details"); details != d.end() && details->is_array()) {
    for (const Json& piece : *details) {
      if (!piece.is_object()) continue;
      const std::string type = string_or_empty(piece, "type");
      const std::string signature = string_or_empty(piece, "signature");
      if (type == "reasoning.text" && !signature.empty()) {
        if (block_ != Block::kThinking)
          out +=
              open(Block::kThinking, {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}});
        out += delta({{"type", "signature_delta"}, {"signature", signature}});
      } else if (type == "reasoning.encrypted") {
        out += open(Block::kThinking,
                    {{"type", "redacted_thinking"}, {"data", string_or_empty(piece, "data")}});
        out += close_block();
      }
    }
  }
  const std::string text = string_or_empty(d, "content");
  if (!text.empty()) {
    if (block_ != Block::kText) out += open(Block::kText, {{"type", "text"}, {"text", ""}});
    out += delta({{"type", "text_delta"}, {"text", text}});
  }
  if (auto calls = d.find("tool_calls"); calls != d.end() && calls->is_array()) {
    for (const Json& call : *calls) {
      if (!call.is_object()) continue;
      const int64_t index = call.contains("index") && call["index"].is_number_integer()
                                ? call["index"].get<int64_t>()
                                : tool_call_ + 1;
      const Json function = call.contains("function") && call["function"].is_object()
                                ? call["function"]
                                : Json::object();
      if (block_ != Block::kToolUse || index != tool_call_) {
        tool_call_ = index;
        out += open(Block::kToolUse, {{"type", "tool_use"},
                                      {"id", string_or_empty(call, "id")},
                                      {"name", string_or_empty(function, "name")},
                                      {"input", Json::object()}});
      }
      const std::string arguments = string_or_empty(function, "arguments");
      if (!arguments.empty())
        out += delta({{"type", "input_json_delta"}, {"partial_json", arguments}});
    }
  }
  return out;
}

std::string MessagesStream::error(std::string_view type, std::string_view message) {
  ended_ = true;
  return sse_named_event("error",
                         {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}});
}

std::string MessagesStream::on_data(std::string_view data) {
  if (ended_) return "";
  if (data == "[DONE]") return finish();
  const Json chunk = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!chunk.is_object()) return error("api_error", "The answer stream was malformed.");
  if (auto e = chunk.find("error"); e != chunk.end() && !e->is_null()) {
    const std::string message =
        e->is_object() ? string_or_empty(*e, "message") : std::string("The generation failed.");
    return error("api_error", message.empty() ? "The generation failed." : message);
  }
  std::string out = start(chunk);
  if (auto u = chunk.find("usage"); u != chunk.end() && u->is_object()) usage_ = *u;
  if (auto choices = chunk.find("choices"); choices != chunk.end() && choices->is_array()) {
    for (const Json& c : *choices) {
      if (!c.is_object()) continue;
      if (auto d = c.find("delta"); d != c.end() && d->is_object()) out += on_choice_delta(*d);
      if (auto f = c.find("finish_reason"); f != c.end() && f->is_string()) {
        stop_reason_ = stop_reason(*f);
        out += close_block();
      }
    }
  }
  return out;
}

std::string MessagesStream::finish() {
  if (ended_) return "";
  std::string out = start(Json::object());
  out += close_block();
  ended_ = true;
  Json usage = messages_usage(usage_);
  out += sse_named_event("message_delta",
                         {{"type", "message_delta"},
                          {"delta", {{"stop_reason", stop_reason_}, {"stop_sequence", nullptr}}},
                          {"usage", std::move(usage)}});
  out += sse_named_event("message_stop", {{"type", "message_stop"}});
  return out;
}

}  // namespace junction::api
