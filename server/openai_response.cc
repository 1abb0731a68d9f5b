#include "server/openai_response.h"

#include <random>

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

Json CompletionLogprobs::to_json() const {
  return {{"tokens", tokens},
          {"token_logprobs", token_logprobs},
          {"top_logprobs", top_logprobs},
          {"text_offset", text_offset}};
}

Json usage_json(int64_t prompt, int64_t completion, int64_t cached,
                std::optional<int64_t> reasoning) {
  Json u = {{"prompt_tokens", prompt},
            {"completion_tokens", completion},
            {"total_tokens", prompt + completion}};
  u["prompt_tokens_details"] = {{"cached_tokens", cached}};
  if (reasoning) u["completion_tokens_details"] = {{"reasoning_tokens", *reasoning}};
  return u;
}

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string sse_event(const Json& data) {
  return "data: " + dump(data) + "\n\n";
}

std::string random_id(const std::string& prefix) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return id;
}

}  // namespace junction::server
