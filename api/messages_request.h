// An Anthropic Messages request (POST /v1/messages, /v1/messages/count_tokens) turned into an
// OpenAI chat-completions request, the shape the engine server and the gateway already serve:
// the reverse of gateway/anthropic_request.h, with the same correspondences.
//   system (a string or text blocks) -> a first system message; stop_sequences -> stop;
//   metadata.user_id -> user; temperature, top_p, top_k, max_tokens, stream as they are (a
//   stream asks for stream_options.include_usage: the usage becomes message_delta's);
//   tools [{name, description, input_schema}] -> function tools; tool_choice auto / any / tool /
//   none -> auto / required / the named function / none, disable_parallel_tool_use ->
//   parallel_tool_calls: false; thinking passes through as is (a gateway's Anthropic upstream
//   reads it; the engine server maps it to its chat template's enable_thinking).
//   A user turn's tool_result blocks -> `tool` messages (content as text), first, then its text
//   and image blocks (base64 or url -> image_url parts) as one user message; an assistant
//   turn's text -> content, tool_use -> tool_calls (input as a JSON string), thinking ->
//   reasoning_content plus OpenRouter-style reasoning_details (text and signature;
//   redacted_thinking as reasoning.encrypted), which the gateway's Anthropic translation turns
//   back into the same blocks.
// What cannot be served (documents, server tools, a missing or wrong field) is a 400 naming the
// field (http::ApiError; the caller answers it in the Messages error shape). Unknown fields are
// ignored. Pure.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace junction::api {

enum class MessagesEndpoint { kMessages, kCountTokens };

// The chat request for a Messages body (already parsed). count_tokens has no max_tokens and no
// stream; its chat request carries neither.
nlohmann::ordered_json chat_request_from_messages(const nlohmann::ordered_json& body,
                                                  MessagesEndpoint endpoint);
// The same from the body's text: bounded depth, no duplicate keys (http/json_body.h).
nlohmann::ordered_json parse_messages_request(std::string_view body, MessagesEndpoint endpoint);

}  // namespace junction::api
