// Native results -> OpenAI response JSON pieces: token strings, logprobs in the chat and the
// legacy completions shapes, usage, Server-Sent Events framing, ids.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/request.h"
#include "server/serving_context.h"

namespace junction::server {

using Json = nlohmann::ordered_json;

// A token as text ("token_id:<id>" with return_tokens_as_token_ids or without a tokenizer).
std::string token_string(const ServingContext& context, int32_t id, bool as_ids);

// Chat: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}].
Json chat_logprobs(const ServingContext& context, const std::vector<TokenEvent>& tokens, int top);

// Legacy completions logprobs: {tokens, token_logprobs, top_logprobs, text_offset}. `first_null`
// makes the first entry's logprob and top_logprobs null (the first prompt token with echo).
struct CompletionLogprobs {
  Json tokens = Json::array(), token_logprobs = Json::array(), top_logprobs = Json::array(),
       text_offset = Json::array();
  size_t offset = 0;  // text offset of the next token
  void add(const ServingContext& context, const TokenEvent* event, int32_t token, int top,
           bool as_ids);
  Json to_json() const;
};

Json usage_json(int64_t prompt_tokens, int64_t completion_tokens, int64_t cached_tokens,
                std::optional<int64_t> reasoning_tokens);

// One Server-Sent Event carrying JSON; and the stream's terminator.
std::string sse_event(const Json& data);
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

// "chatcmpl-..." / "cmpl-..." with 24 random alphanumerics.
std::string random_id(const std::string& prefix);

// JSON text that never throws on invalid UTF-8 (replaced with U+FFFD).
std::string dump(const Json& j);

}  // namespace junction::server
