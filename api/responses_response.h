// OpenAI chat completions turned into Responses API objects (the `response` of POST
// /v1/responses, whole or as its stream's last event).
//   reasoning_content -> a reasoning item (content [{type: reasoning_text}], summary []);
//   content -> a message item with one output_text part; tool_calls -> function_call items
//   (call_id the chat id, arguments as they are); finish_reason length -> status "incomplete"
//   with incomplete_details.reason "max_output_tokens" (content_filter: "content_filter");
//   usage prompt_tokens (cached ones included, as the Responses API counts) -> input_tokens
//   with input_tokens_details.cached_tokens, completion_tokens -> output_tokens with
//   output_tokens_details.reasoning_tokens.
// The request's settings are echoed as the API reference lists them. Ids keep the chat id's
// random part ("chatcmpl-X" -> "resp_X", items "msg_X", "rs_X", "fc_X_<n>"). Pure.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace junction::api {

// What a response repeats of its request, and its identity.
struct ResponseHead {
  std::string id;          // "resp_..."
  int64_t created_at = 0;  // unix s
  std::string model;
  nlohmann::ordered_json request;  // the request body (for the echoed settings)
};

// "resp_..." / item ids for a chat completion id.
std::string response_id(const std::string& chat_id);
// The Responses usage object for an OpenAI chat usage object (missing fields count 0).
nlohmann::ordered_json responses_usage(const nlohmann::ordered_json& usage);
// The whole response object. status: "in_progress", "completed", "incomplete", "failed".
nlohmann::ordered_json response_object(const ResponseHead& head, const std::string& status,
                                       nlohmann::ordered_json output, nlohmann::ordered_json usage,
                                       nlohmann::ordered_json incomplete_details = nullptr);
// incomplete_details for a chat finish_reason; null when the answer is complete.
nlohmann::ordered_json incomplete_details(const nlohmann::ordered_json& finish_reason);
// The response for a chat.completion of one choice (created_at its `created`); throws
// std::runtime_error on a body that is not one.
nlohmann::ordered_json response_from_chat(const nlohmann::ordered_json& completion,
                                          const nlohmann::ordered_json& request);
// The chat assistant message a response's output items make (what previous_response_id
// continues from).
nlohmann::ordered_json assistant_message_from_output(const nlohmann::ordered_json& output);

}  // namespace junction::api
