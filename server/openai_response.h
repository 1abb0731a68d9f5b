// Native results -> OpenAI response JSON: every shape the chat and completions endpoints write
// (whole objects, stream chunks, messages and deltas with reasoning_content and tool calls,
// logprobs in the chat and the legacy completions shapes, usage, the mid-stream error event),
// the models list and vLLM's tokenize / detokenize bodies, plus token strings, Server-Sent
// Events framing and ids. (Error bodies are ApiError's, shared with the gateway.) Pure: no I/O, no
// engine; the field order of each object is the wire's (clients and the e2e wire goldens see it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chat/chat_message.h"
#include "engine/request.h"
#include "server/serving_context.h"

namespace junction::server {

using Json = nlohmann::ordered_json;

// A token as text ("token_id:<id>" with return_tokens_as_token_ids or without a tokenizer).
std::string token_string(const ServingContext& context, int32_t id, bool as_ids);

// Chat: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}].
Json chat_logprobs(const ServingContext& context, const std::vector<TokenEvent>& tokens, int top);

// Legacy completions logprobs: {tokens, token_logprobs, top_logprobs, text_offset}.
struct CompletionLogprobs {
  Json tokens = Json::array(), token_logprobs = Json::array(), top_logprobs = Json::array(),
       text_offset = Json::array();
  size_t offset = 0;  // text offset of the next token
  // One token; a null `event` (the first prompt token, which has no logprob) gives null entries.
  void add(const ServingContext& context, const TokenEvent* event, int32_t token, int top,
           bool as_ids);
  // The echoed prompt: `prompt_logprobs[k]` scores prompt token k + 1.
  void add_prompt(const ServingContext& context, const std::vector<int32_t>& prompt,
                  const std::vector<TokenEvent>& prompt_logprobs, int top, bool as_ids);
  void add_tokens(const ServingContext& context, std::span<const TokenEvent> generated, int top,
                  bool as_ids);
  Json to_json() const;
};

// Speculative decoding's drafted tokens the engine verified: kept and thrown away.
struct PredictionTokens {
  int64_t accepted = 0, rejected = 0;
};

// completion_tokens_details holds reasoning_tokens (chat) and, when speculative decoding drafted
// anything, accepted_prediction_tokens and rejected_prediction_tokens (OpenAI's names).
Json usage_json(int64_t prompt_tokens, int64_t completion_tokens, int64_t cached_tokens,
                std::optional<int64_t> reasoning_tokens, PredictionTokens predictions = {});

// What every object and chunk of one response repeats.
struct ResponseHead {
  std::string id;              // "chatcmpl-..." / "cmpl-..."
  int64_t created = 0;         // unix seconds
  std::string model;           // the served name
  bool include_usage = false;  // stream_options.include_usage: chunks carry "usage": null
};
// A fresh id with `id_prefix`, created now.
ResponseHead response_head(const std::string& id_prefix, const std::string& model,
                           bool include_usage);

// /v1/chat/completions. A finish_reason "stop" with tool calls in the message is "tool_calls".
std::string chat_finish_reason(const std::string& reason, const chat::ParsedMessage& message);
Json tool_call_json(const chat::ToolCallDelta& call, bool with_index);
Json chat_message_json(const chat::ParsedMessage& message);
Json chat_choice_json(int index, const chat::ParsedMessage& message, Json logprobs,
                      const std::string& finish_reason);
Json chat_completion_json(const ResponseHead& head, Json choices, Json usage);
// Stream chunks: the first (each of n choices' role), one choice's delta, one choice's end.
Json chat_role_chunk_json(const ResponseHead& head, int n);
Json chat_delta_chunk_json(const ResponseHead& head, int index, const chat::ChatDelta& delta,
                           Json logprobs);
Json chat_finish_chunk_json(const ResponseHead& head, int index, const std::string& finish_reason);
Json chat_usage_chunk_json(const ResponseHead& head, Json usage);

// /v1/completions; a stream's chunks are text_completion objects of one choice each.
Json completion_choice_json(size_t index, const std::string& text, Json logprobs,
                            Json finish_reason);
Json completion_json(const ResponseHead& head, Json choices, Json usage);
Json completion_chunk_json(const ResponseHead& head, Json choice);
Json completion_usage_chunk_json(const ResponseHead& head, Json usage);

// /v1/models (the served model, with root, parent and max_model_len) and /v1/models/{id}.
Json models_list_json(const ServingContext& context);
Json model_json(const ServingContext& context);
// vLLM's /tokenize and /detokenize.
Json tokenize_json(const std::vector<int32_t>& ids, int64_t max_model_len);
Json detokenize_json(const std::string& prompt);

// The event a stream ends with when the engine fails after the 200 went out.
Json stream_error_json(const std::string& message);

// One Server-Sent Event carrying JSON (the terminator is http::kSseDone).
std::string sse_event(const Json& data);

// "chatcmpl-..." / "cmpl-..." with 24 random alphanumerics.
std::string random_id(const std::string& prefix);

// JSON text that never throws on invalid UTF-8 (replaced with U+FFFD).
std::string dump(const Json& j);

}  // namespace junction::server
