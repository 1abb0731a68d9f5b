// From parsed OpenAI requests to EngineRequests: sampling parameters (request, else serve's
// flags, else generation_config), the context check (a prompt that does not fit is a 400, never
// truncated) and max_tokens clipped to what is left of the context; a chat's prompt through the
// chat template, its JSON constraint (response_format or a forced tool call) and how its output
// is parsed; a completion's prompts as token ids and text.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chat/output_parser.h"
#include "engine/json_constraint.h"
#include "engine/request.h"
#include "http/api_error.h"
#include "server/openai_request.h"
#include "server/serving_context.h"

namespace junction::server {

// Throws ApiError 400 if the prompt is empty, has ids outside the vocabulary, or leaves no room
// in the context. `choice` offsets the seed so n > 1 choices differ.
EngineRequest make_engine_request(const ServingContext& context, const GenerationOptions& options,
                                  std::vector<int32_t> prompt, int choice,
                                  int64_t max_tokens_default_cap = 0);

// A chat request made ready for the engine, the same for each of its n choices.
struct ChatSetup {
  std::vector<int32_t> prompt;
  bool starts_in_reasoning = false;          // the rendered prompt ends in an open <think>
  std::shared_ptr<const JsonSchema> schema;  // response_format json_object / json_schema
  // tool_choice "required" or a named function: the call's JSON, inside `tool_prefix` and
  // "\n</tool_call>".
  std::shared_ptr<const JsonSchema> tool_schema;
  std::string tool_prefix;
  chat::ChatParserOptions parser_options;  // reasoning and tool-call parsing of the output
};

// The 400 for a chat request (or /tokenize messages) to a model without a chat template, as
// base checkpoints ship: it names the --chat-template flag, and /v1/completions still works.
http::ApiError no_chat_template_error(const ServingContext& context);

// Throws ApiError 400: no tokenizer or chat template, a template error, an unsupported schema,
// a tool_choice that cannot be enforced.
ChatSetup setup_chat(const ServingContext& context, const ChatRequest& request);
// Choice `choice`'s engine request: make_engine_request, logprobs and the constraint.
EngineRequest make_chat_engine_request(const ServingContext& context, const ChatRequest& request,
                                       const ChatSetup& setup, int choice);

// /v1/completions prompts as the engine and the echo see them.
struct CompletionPrompts {
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::string> texts;  // text prompts as given; id prompts decoded (or token_id:N)
};
// Throws ApiError 400: a text prompt without a tokenizer, an id outside the vocabulary.
CompletionPrompts tokenize_prompts(const ServingContext& context, const CompletionRequest& request);
// One choice's engine request: make_engine_request, logprobs and the echo's prompt logprobs.
EngineRequest make_completion_engine_request(const ServingContext& context,
                                             const CompletionRequest& request,
                                             const std::vector<int32_t>& prompt, int choice);

}  // namespace junction::server
