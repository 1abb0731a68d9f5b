// An OpenAI chat.completion.chunk stream turned into the Anthropic Messages event stream, one
// chunk at a time: the reverse of gateway/anthropic_stream.h. Anthropic's documented flow out:
// message_start (id, model, usage so far), per content block content_block_start /
// content_block_delta (thinking_delta and signature_delta, text_delta, input_json_delta) /
// content_block_stop, then message_delta (stop_reason and the usage) and message_stop.
//   reasoning_content deltas -> a thinking block, a reasoning_details piece with a signature ->
//   its signature_delta, a reasoning.encrypted piece -> a redacted_thinking block; content ->
//   a text block; a tool call with an id -> a tool_use block, its arguments -> input_json_delta.
//   A change of kind closes the open block and opens the next (blocks are never interleaved).
//   The usage chunk (include_usage, which messages_request.h always asks for) becomes
//   message_delta's usage: input_tokens is not known before it, so message_start says 0 and
//   message_delta carries the input, cache and output counts (the SDKs take them from there).
//   [DONE] ends the message; an `error` payload becomes an `error` event and ends the stream.
// Pure: events in, SSE text out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace junction::api {

class MessagesStream {
 public:
  // The SSE text (zero or more "event: ...\ndata: ...\n\n" events) for one chunk's data line
  // ("[DONE]" included). A payload that is not JSON is answered as an error event.
  std::string on_data(std::string_view data);
  // What a stream cut short still needs (the open block closed, message_delta, message_stop),
  // or "" once it ended.
  std::string finish();
  bool ended() const { return ended_; }

 private:
  enum class Block { kNone, kThinking, kText, kToolUse };
  std::string start(const nlohmann::ordered_json& chunk);
  std::string open(Block kind, nlohmann::ordered_json content_block);
  std::string close_block();
  std::string delta(nlohmann::ordered_json delta);
  std::string on_choice_delta(const nlohmann::ordered_json& delta);
  std::string error(std::string_view type, std::string_view message);

  bool started_ = false, ended_ = false;
  Block block_ = Block::kNone;
  int64_t index_ = -1;      // the open (or last) content block
  int64_t tool_call_ = -1;  // the chat tool_calls index of the open tool_use block
  nlohmann::ordered_json stop_reason_ = nullptr;
  nlohmann::ordered_json usage_ = nlohmann::ordered_json::object();  // OpenAI usage
};

// One SSE event with a name.
std::string sse_named_event(std::string_view name, const nlohmann::ordered_json& data);

}  // namespace junction::api
