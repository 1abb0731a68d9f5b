// An OpenAI chat-completions request turned into an Anthropic Messages API request
// (POST /v1/messages), for providers of kind `anthropic`. Follows Anthropic's own documented
// OpenAI-compatibility mapping where it has one: system and developer messages hoisted into
// `system` (joined by "\n"), temperature capped at 1, n must be 1, tools -> input_schema,
// tool_choice auto/none/required/named -> auto/none/any/tool, parallel_tool_calls: false ->
// disable_parallel_tool_use. Tool messages become `tool_result` blocks in a user turn (results
// first, as the Messages API requires); consecutive turns of one role are merged.
// Reasoning: Anthropic's `thinking` passes through; OpenRouter's `reasoning: {max_tokens}` and
// `reasoning: {effort}` / `reasoning_effort` become `thinking: {type: enabled, budget_tokens}`
// with OpenRouter's documented budget max(min(max_tokens * ratio, 32000), 1024), ratio 0.8 /
// 0.5 / 0.2 for high / medium / low. An assistant message's `reasoning_details` (as
// anthropic_response.h / anthropic_stream.h hand them out, OpenRouter's shape) become its
// thinking / redacted_thinking blocks again, first in the turn and unchanged, so a tool-use
// conversation with thinking can continue. Fields the Messages API has no equivalent for (seed,
// penalties, logit_bias, response_format, ...) are dropped, as Anthropic's compatibility layer
// does; ones that would change the answer's shape (n > 1, logprobs) are refused. Pure.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace junction::gateway {

struct AnthropicRequestOptions {
  std::string model;               // the upstream model name
  bool stream = false;             //
  int64_t default_max_tokens = 0;  // sent when the request has none (the API requires one)
};

// Throws http::ApiError(400) naming the field for what cannot be translated.
nlohmann::json anthropic_request(const nlohmann::json& openai_body,
                                 const AnthropicRequestOptions& options);

}  // namespace junction::gateway
