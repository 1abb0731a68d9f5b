// An OpenAI Responses request (POST /v1/responses) turned into a chat-completions request, the
// shape the engine server and the gateway already serve.
//   instructions -> a first system message (not part of the stored conversation: OpenAI does
//   not carry instructions over to a response that continues this one); input as a string ->
//   one user message; input items: a message (role user / system / developer -> system /
//   assistant; content a string or input_text / output_text / input_image parts) -> a chat
//   message; reasoning, assistant message and function_call items in a row -> one assistant
//   message (reasoning_content, content, tool_calls), as one response's output comes back;
//   function_call_output -> a `tool` message. The history of previous_response_id (the
//   caller's ResponseStore lookup) comes first.
//   max_output_tokens -> max_tokens; temperature, top_p, user, parallel_tool_calls as they are;
//   stream -> stream with stream_options.include_usage; tools [{type: function, name,
//   description, parameters}] -> function tools; tool_choice as chat's; text.format json_object
//   / json_schema -> response_format; reasoning.effort -> reasoning_effort.
// What cannot be served (built-in tools, files, item references, a missing or wrong field) is
// a 400 naming the field (http::ApiError). Unknown fields are ignored. Pure.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace junction::api {

struct ResponsesRequest {
  nlohmann::ordered_json body;       // the request as sent (parsed)
  std::string previous_response_id;  // "" when none
  bool store = true;                 // `store` (OpenAI's default: true)
};

struct ResponsesChat {
  nlohmann::ordered_json chat;          // the chat request
  nlohmann::ordered_json conversation;  // history + this input as chat messages, no instructions
};

// The body parsed (bounded depth, no duplicate keys) and its conversation-state fields read.
ResponsesRequest parse_responses_request(std::string_view body);
// The chat request, after `history` (an array of chat messages; empty without
// previous_response_id).
ResponsesChat chat_request_from_responses(const ResponsesRequest& request,
                                          const nlohmann::ordered_json& history);

}  // namespace junction::api
