// An Anthropic Messages API answer turned into an OpenAI chat completion: text blocks ->
// message.content, thinking blocks -> message.reasoning_content (DeepSeek's field, which
// OpenAI-compatible clients already read), tool_use blocks -> tool_calls with the input as a
// JSON string; stop_reason end_turn / max_tokens / stop_sequence / tool_use -> finish_reason
// stop / length / stop / tool_calls (refusal -> content_filter); usage with the prompt counted
// the way OpenAI counts it: input_tokens + cache_read_input_tokens +
// cache_creation_input_tokens (Anthropic's documented total), cache reads as cached_tokens.
// Thinking and redacted_thinking blocks also become OpenRouter's `reasoning_details` entries
// ({"type": "reasoning.text", "text", "signature"} / {"type": "reasoning.encrypted", "data"},
// "format": "anthropic-claude-v1", "index"): a client that sends them back on the assistant
// message gets the blocks back to Anthropic unchanged (anthropic_request.h), which the Messages
// API requires when a tool-use turn with thinking continues.
// Also Anthropic error bodies ({"type":"error","error":{"type","message"}}) as OpenAI errors.
// Pure; the streaming counterpart is anthropic_stream.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace junction::gateway {

// The `format` of reasoning_details entries that carry Anthropic thinking (OpenRouter's name).
inline constexpr const char* kAnthropicReasoningFormat = "anthropic-claude-v1";

// A reasoning_details entry for a thinking or redacted_thinking block, at position `index`.
nlohmann::json reasoning_detail_from_block(const nlohmann::json& block, size_t index);

// {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details":
// {"cached_tokens"}} from an Anthropic usage object (missing fields count 0).
nlohmann::json openai_usage_from_anthropic(const nlohmann::json& usage);

// The OpenAI finish_reason for an Anthropic stop_reason; null stays null.
nlohmann::json openai_finish_reason(const nlohmann::json& stop_reason);

// A chat.completion from a Messages API `message` object. `created`: unix seconds.
nlohmann::json openai_completion_from_anthropic(const nlohmann::json& message, int64_t created);

// The OpenAI-style error JSON for an Anthropic error answer with this HTTP status.
std::string openai_error_from_anthropic(int status, std::string_view body);

}  // namespace junction::gateway
