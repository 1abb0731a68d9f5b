// The Anthropic Messages API's SSE stream turned into OpenAI chat.completion.chunk events, one
// upstream event at a time. Anthropic's documented flow: message_start (id, model, input
// usage), then per content block content_block_start / content_block_delta (text_delta,
// thinking_delta, input_json_delta, signature_delta) / content_block_stop, then message_delta
// (stop_reason and cumulative usage), message_stop; `ping` anywhere, `error` anywhere, and
// unknown event types to be ignored. Chunks out: a content / reasoning_content / tool_calls
// delta per upstream delta (a tool call's id and name when its block starts, its arguments as
// they stream; thinking as reasoning_content and as OpenRouter-style `reasoning_details`
// pieces: text pieces, then the block's signature, merged by `index` on the client; redacted
// thinking as one reasoning.encrypted entry), the first one also carrying `role: assistant`; a
// finish_reason chunk at message_delta; at message_stop a usage chunk (`choices: []`, as OpenAI
// sends with include_usage) and [DONE]. Nothing is sent for message_start itself, so an upstream
// that fails before its first token (an overloaded_error event) is still retried elsewhere: the
// gateway's first byte is the first token.
// An upstream `error` event or a malformed event becomes a payload with an `error` object,
// which the proxy treats as a failed upstream (README: the mid-stream contract). Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace junction::gateway {

class AnthropicStream {
 public:
  explicit AnthropicStream(int64_t created) : created_(created) {}

  // The data of one upstream SSE event -> the OpenAI `data:` payloads it becomes, in order.
  std::vector<std::string> on_event(std::string_view data);
  // message_stop was seen (and [DONE] emitted).
  bool finished() const { return finished_; }

 private:
  // One handler per upstream event type; each returns the payloads the event becomes.
  std::vector<std::string> on_message_start(const nlohmann::json& e);
  std::vector<std::string> on_block_start(int64_t index, const nlohmann::json& block);
  std::vector<std::string> on_block_delta(int64_t index, const nlohmann::json& delta);
  std::vector<std::string> on_message_delta(const nlohmann::json& e);
  std::vector<std::string> on_message_stop();
  // A tool_use block: the tool call's index, id and name.
  std::string tool_call_start(int64_t index, const nlohmann::json& block);
  std::string chunk(nlohmann::json delta, nlohmann::json finish_reason = nullptr);
  // A thinking delta: reasoning_content plus the reasoning_details piece at detail_index.
  std::string reasoning_chunk(int64_t detail_index, const std::string& text);
  static std::string error_payload(const std::string& type, const std::string& message);
  // An upstream `error` event as an error payload.
  static std::string upstream_error(const nlohmann::json& e);

  int64_t created_;  // unix s
  std::string id_, model_;
  nlohmann::json usage_ = nlohmann::json::object();  // Anthropic usage, latest value per field
  std::map<int64_t, int64_t> tool_index_;            // content block index -> tool_calls index
  std::map<int64_t, int64_t> reasoning_index_;  // content block index -> reasoning_details index
  bool started_ = false, finished_ = false, role_sent_ = false;
};

}  // namespace junction::gateway
