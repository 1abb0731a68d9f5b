// OpenAI request bodies -> plain structs, validating every field the server reads. Anything
// wrong becomes an ApiError (400, naming the field); unknown fields are ignored, as vLLM does.
// Pure: no model, no tokenizer, so the libFuzzer target (fuzz/server) can drive it directly.
// The chat messages stay JSON because the chat template (also at this edge) consumes JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace junction::server {

// Sampling fields as the client gave them; absent ones fall back to flags, then the model's
// generation_config.
struct SamplingOverrides {
  std::optional<float> temperature, top_p, min_p, repetition_penalty;
  std::optional<int64_t> top_k;
  float presence_penalty = 0, frequency_penalty = 0;
  std::optional<uint64_t> seed;
  std::vector<std::pair<int32_t, float>> logit_bias;
};

// Fields shared by /v1/chat/completions and /v1/completions.
struct GenerationOptions {
  std::string model;
  std::optional<int64_t> max_tokens;  // max_completion_tokens wins over max_tokens
  int64_t min_tokens = 0;
  int n = 1;
  std::vector<std::string> stop;
  std::vector<int32_t> stop_token_ids;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool ignore_eos = false;
  bool skip_special_tokens = true;
  std::string user;
  SamplingOverrides sampling;
};

enum class ResponseFormat { kText, kJsonObject, kJsonSchema };

struct ChatRequest {
  GenerationOptions options;
  nlohmann::ordered_json messages;   // array; content-part arrays joined into strings
  nlohmann::ordered_json tools;      // null or array of {type: function, function: {...}}
  std::string tool_choice = "auto";  // none | auto | required | function
  std::string tool_choice_name;      // for tool_choice "function"
  ResponseFormat response_format = ResponseFormat::kText;
  nlohmann::ordered_json json_schema;  // response_format.json_schema.schema, keys in order
  bool logprobs = false;
  int top_logprobs = 0;
  nlohmann::ordered_json chat_template_kwargs = nlohmann::ordered_json::object();
  bool add_generation_prompt = true;
};

// One prompt of /v1/completions: text or token ids.
struct PromptInput {
  bool is_text = true;
  std::string text;
  std::vector<int32_t> ids;
};

struct CompletionRequest {
  GenerationOptions options;
  std::vector<PromptInput> prompts;
  bool echo = false;
  std::optional<int> logprobs;  // 0..20
  bool return_tokens_as_token_ids = false;
};

struct TokenizeRequest {
  std::optional<std::string> prompt;
  nlohmann::ordered_json messages;  // when no prompt
  bool add_special_tokens = true;
  bool add_generation_prompt = true;
  nlohmann::ordered_json chat_template_kwargs = nlohmann::ordered_json::object();
};

struct DetokenizeRequest {
  std::vector<int32_t> tokens;
};

// Each throws ApiError on malformed JSON or invalid fields.
ChatRequest parse_chat_request(std::string_view body);
CompletionRequest parse_completion_request(std::string_view body);
TokenizeRequest parse_tokenize_request(std::string_view body);
DetokenizeRequest parse_detokenize_request(std::string_view body);

}  // namespace junction::server
