// An OpenAI chat completion turned into an Anthropic Messages answer: the reverse of
// gateway/anthropic_response.h, with the same correspondences.
//   reasoning -> a thinking block first (the signature from OpenRouter-style reasoning_details
//   when the answer has them, as the gateway's Anthropic translation gives them; else ""),
//   reasoning.encrypted details -> redacted_thinking, content -> a text block, tool_calls ->
//   tool_use blocks (the arguments parsed back into `input`; arguments that are not a JSON
//   object become {"arguments": "<text>"}, so a model's malformed call is still shown);
//   finish_reason stop / length / tool_calls / content_filter -> stop_reason end_turn /
//   max_tokens / tool_use / refusal; usage prompt_tokens (cached ones included, as OpenAI
//   counts) -> input_tokens without the cached ones plus cache_read_input_tokens (Anthropic's
//   documented split), completion_tokens -> output_tokens.
// The id keeps the chat id's random part ("chatcmpl-X" -> "msg_X"), so a gateway's request id
// can still be found. Pure.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace junction::api {

// "msg_..." for a chat completion id.
std::string message_id(const std::string& chat_id);
// Anthropic's stop_reason for a chat finish_reason (null stays null).
nlohmann::ordered_json stop_reason(const nlohmann::ordered_json& finish_reason);
// {input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens} from an
// OpenAI usage object (missing fields count 0).
nlohmann::ordered_json messages_usage(const nlohmann::ordered_json& usage);
// The Messages answer for a chat.completion of one choice; throws std::runtime_error on a body
// that is not one (the caller answers 502).
nlohmann::ordered_json message_from_chat(const nlohmann::ordered_json& completion);

}  // namespace junction::api
