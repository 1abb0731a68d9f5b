#include "server/openai_response.h"

#include <chrono>
#include <random>

#include "http/sse.h"

namespace junction::server {

std::string token_string(const ServingContext& c, int32_t id, bool as_ids) {
  if (as_ids || !c.tokenizer) return "token_id:" + std::to_string(id);
  const int32_t ids[1] = {id};
  return c.tokenizer->decode(ids, false);
}

static Json bytes_of(const std::string& s) {
  Json b = Json::array();
  for (unsigned char ch : s) b.push_back(static_cast<int>(ch));
  return b;
}

static double finite(float lp) {
  return lp < -9999.0f ? -9999.0 : static_cast<double>(lp);
}

Json chat_logprobs(const ServingContext& c, const std::vector<TokenEvent>& tokens, int top) {
  Json content = Json::array();
  for (const TokenEvent& e : tokens) {
    const std::string t = token_string(c, e.token, false);
    Json alts = Json::array();
    for (int k = 0; k < top && k < static_cast<int>(e.top.size()); ++k) {
      const std::string a = token_string(c, e.top[k].token, false);
      alts.push_back({{"token", a}, {"logprob", finite(e.top[k].logprob)}, {"bytes", bytes_of(a)}});
    }
    content.push_back({{"token", t},
                       {"logprob", finite(e.logprob)},
                       {"bytes", bytes_of(t)},
                       {"top_logprobs", alts}});
  }
  return content;
}

void CompletionLogprobs::add(const ServingContext& c, const TokenEvent* e, int32_t token, int top,
                             bool as_ids) {
  const std::string t = token_string(c, token, as_ids);
  tokens.push_back(t);
  text_offset.push_back(offset);
  offset += t.size();
  if (!e) {
    token_logprobs.push_back(nullptr);
    top_logprobs.push_back(nullptr);
    return;
  }
  token_logprobs.push_back(finite(e->logprob));
  Json alts = Json::object();
  for (int k = 0; k < top && k < static_cast<int>(e->top.size()); ++k) {
    const std::string a = token_string(c, e->top[k].token, as_ids);
    if (!alts.contains(a)) alts[a] = finite(e->top[k].logprob);
  }
  top_logprobs.push_back(alts);
}

void CompletionLogprobs::add_prompt(const ServingContext& c, const std::vector<int32_t>& prompt,
                                    const std::vector<TokenEvent>& plp, int top, bool as_ids) {
  for (size_t k = 0; k < prompt.size(); ++k)
    add(c, k == 0 || k - 1 >= plp.size() ? nullptr : &plp[k - 1], prompt[k], top, as_ids);
}

void CompletionLogprobs::add_tokens(const ServingContext& c, std::span<const TokenEvent> generated,
                                    int top, bool as_ids) {
  for (const TokenEvent& t : generated) add(c, &t, t.token, top, as_ids);
}

Json CompletionLogprobs::to_json() const {
  return {{"tokens", tokens},
          {"token_logprobs", token_logprobs},
          {"top_logprobs", top_logprobs},
          {"text_offset", text_offset}};
}

Json usage_json(int64_t prompt, int64_t completion, int64_t cached,
                std::optional<int64_t> reasoning, PredictionTokens predictions) {
  Json u = {{"prompt_tokens", prompt},
            {"completion_tokens", completion},
            {"total_tokens", prompt + completion}};
  u["prompt_tokens_details"] = {{"cached_tokens", cached}};
  if (reasoning) u["completion_tokens_details"]["reasoning_tokens"] = *reasoning;
  if (predictions.accepted + predictions.rejected > 0) {
    u["completion_tokens_details"]["accepted_prediction_tokens"] = predictions.accepted;
    u["completion_tokens_details"]["rejected_prediction_tokens"] = predictions.rejected;
  }
  return u;
}

ResponseHead response_head(const std::string& id_prefix, const std::string& model,
                           bool include_usage) {
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  return {random_id(id_prefix), created, model, include_usage};
}

// {id, object, created, model, system_fingerprint, choices}: every object and chunk opens so.
static Json object_json(const ResponseHead& h, const char* object, Json choices) {
  return {{"id", h.id},
          {"object", object},
          {"created", h.created},
          {"model", h.model},
          {"system_fingerprint", "junction"},
          {"choices", std::move(choices)}};
}

static Json chunk_json(const ResponseHead& h, const char* object, Json choices) {
  Json j = object_json(h, object, std::move(choices));
  if (h.include_usage) j["usage"] = nullptr;
  return j;
}

// The last chunk: no choices, the usage in place of the null the others carry.
static Json usage_chunk_json(const ResponseHead& h, const char* object, Json usage) {
  Json j = chunk_json(h, object, Json::array());
  j["usage"] = std::move(usage);
  return j;
}

std::string chat_finish_reason(const std::string& reason, const chat::ParsedMessage& message) {
  if (reason == "stop" && !message.tool_calls.empty()) return "tool_calls";
  return reason;
}

Json tool_call_json(const chat::ToolCallDelta& d, bool with_index) {
  Json j = {{"id", d.call.id},
            {"type", "function"},
            {"function", {{"name", d.call.name}, {"arguments", d.call.arguments}}}};
  if (with_index) j["index"] = d.index;
  return j;
}

Json chat_message_json(const chat::ParsedMessage& m) {
  Json message = {{"role", "assistant"}};
  message["content"] = m.content.empty() && !m.tool_calls.empty() ? Json() : Json(m.content);
  if (!m.reasoning_content.empty()) message["reasoning_content"] = m.reasoning_content;
  if (!m.tool_calls.empty()) {
    Json calls = Json::array();
    for (size_t k = 0; k < m.tool_calls.size(); ++k)
      calls.push_back(tool_call_json({static_cast<int>(k), m.tool_calls[k]}, false));
    message["tool_calls"] = calls;
  }
  return message;
}

Json chat_choice_json(int index, const chat::ParsedMessage& message, Json logprobs,
                      const std::string& finish_reason) {
  return {{"index", index},
          {"message", chat_message_json(message)},
          {"logprobs", std::move(logprobs)},
          {"finish_reason", finish_reason}};
}

Json chat_completion_json(const ResponseHead& head, Json choices, Json usage) {
  Json j = object_json(head, "chat.completion", std::move(choices));
  j["usage"] = std::move(usage);
  return j;
}

Json chat_role_chunk_json(const ResponseHead& head, int n) {
  Json choices = Json::array();
  for (int i = 0; i < n; ++i)
    choices.push_back({{"index", i},
                       {"delta", {{"role", "assistant"}, {"content", ""}}},
                       {"logprobs", nullptr},
                       {"finish_reason", nullptr}});
  return chunk_json(head, "chat.completion.chunk", std::move(choices));
}

Json chat_delta_chunk_json(const ResponseHead& head, int index, const chat::ChatDelta& delta,
                           Json logprobs) {
  Json d = Json::object();
  if (!delta.reasoning_content.empty()) d["reasoning_content"] = delta.reasoning_content;
  if (!delta.content.empty()) d["content"] = delta.content;
  if (!delta.tool_calls.empty()) {
    Json calls = Json::array();
    for (const auto& t : delta.tool_calls) calls.push_back(tool_call_json(t, true));
    d["tool_calls"] = calls;
  }
  return chunk_json(head, "chat.completion.chunk",
                    Json::array({{{"index", index},
                                  {"delta", d},
                                  {"logprobs", std::move(logprobs)},
                                  {"finish_reason", nullptr}}}));
}

Json chat_finish_chunk_json(const ResponseHead& head, int index, const std::string& finish_reason) {
  return chunk_json(head, "chat.completion.chunk",
                    Json::array({{{"index", index},
                                  {"delta", Json::object()},
                                  {"logprobs", nullptr},
                                  {"finish_reason", finish_reason}}}));
}

Json chat_usage_chunk_json(const ResponseHead& head, Json usage) {
  return usage_chunk_json(head, "chat.completion.chunk", std::move(usage));
}

Json completion_choice_json(size_t index, const std::string& text, Json logprobs,
                            Json finish_reason) {
  return {{"index", index},
          {"text", text},
          {"logprobs", std::move(logprobs)},
          {"finish_reason", std::move(finish_reason)}};
}

Json completion_json(const ResponseHead& head, Json choices, Json usage) {
  Json j = object_json(head, "text_completion", std::move(choices));
  j["usage"] = std::move(usage);
  return j;
}

Json completion_chunk_json(const ResponseHead& head, Json choice) {
  return chunk_json(head, "text_completion", Json::array({std::move(choice)}));
}

Json completion_usage_chunk_json(const ResponseHead& head, Json usage) {
  return usage_chunk_json(head, "text_completion", std::move(usage));
}

Json models_list_json(const ServingContext& c) {
  Json model = {{"id", c.model_name},      {"object", "model"},    {"created", c.created},
                {"owned_by", "junction"},  {"root", c.model_name}, {"parent", nullptr},
                {"max_model_len", c.n_ctx}};
  return {{"object", "list"}, {"data", Json::array({model})}};
}

Json model_json(const ServingContext& c) {
  return {
      {"id", c.model_name}, {"object", "model"}, {"created", c.created}, {"owned_by", "junction"}};
}

Json tokenize_json(const std::vector<int32_t>& ids, int64_t max_model_len) {
  return {{"count", ids.size()}, {"max_model_len", max_model_len}, {"tokens", ids}};
}

Json detokenize_json(const std::string& prompt) {
  return {{"prompt", prompt}};
}

Json stream_error_json(const std::string& message) {
  return {
      {"error",
       {{"message", message}, {"type", "server_error"}, {"param", nullptr}, {"code", nullptr}}}};
}

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string sse_event(const Json& data) {
  return http::sse_data(dump(data));
}

std::string random_id(const std::string& prefix) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return id;
}

}  // namespace junction::server
