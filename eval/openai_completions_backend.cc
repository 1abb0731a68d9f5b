#include "eval/openai_completions_backend.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/json_depth.h"
#include "http/http_client.h"

namespace junction::eval {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kTokenCacheMax = 4096;  // entries; contexts repeat once per answer choice

std::string strip_base(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  return url;
}

// "error": {"message": ...} or the body itself, shortened.
std::string server_message(const std::string& body) {
  try {
    const Json j = parse_json<Json>(body);
    if (j.contains("error")) {
      const Json& e = j["error"];
      if (e.is_object() && e.contains("message")) return e["message"].get<std::string>();
      if (e.is_string()) return e.get<std::string>();
    }
    if (j.contains("detail")) return j["detail"].dump();
  } catch (const nlohmann::json::exception&) {
  }
  return body.substr(0, 500);
}

}  // namespace

OpenAiCompletionsBackend::OpenAiCompletionsBackend(
    OpenAiEndpoint endpoint, std::unique_ptr<tokenizer::Tokenizer> local_tokenizer)
    : options_(std::move(endpoint)),
      base_url_(strip_base(options_.url)),
      tokenizer_(std::move(local_tokenizer)) {}

OpenAiCompletionsBackend::~OpenAiCompletionsBackend() = default;

Json OpenAiCompletionsBackend::post(const std::string& path, const Json& body) {
  http::HttpClientOptions http_options;
  http_options.read_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_s * 1000));
  http_options.allow_plain_http = true;
  http_options.user_agent = "junction-eval/0.1";
  http::HttpHeaders headers = {{"Accept", "application/json"}};
  if (!options_.api_key.empty()) headers.push_back({"Authorization", "Bearer " + options_.api_key});
  const std::string url = base_url_ + path;
  const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (int attempt = 0;; ++attempt) {
    std::string failure;
    try {
      http::HttpClient client(http_options);
      auto [head, answer] = client.post_text(url, headers, text, "application/json");
      if (head.status >= 200 && head.status < 300) {
        Json j = parse_json<Json>(answer);
        if (j.is_discarded())
          throw Error(url + " answered with something that is not JSON (or nests deeper than " +
                      std::to_string(kMaxJsonDepth) + " levels): " + answer.substr(0, 200));
        return j;
      }
      failure = "HTTP " + std::to_string(head.status) + " from " + url + ": " +
                server_message(head.error_body);
      if (head.status != 429 && head.status < 500) throw Error(failure);
    } catch (const http::NetworkError& e) {
      failure = e.what();
    }
    if (attempt >= options_.retries) throw Error(failure);
    std::this_thread::sleep_for(std::chrono::milliseconds(500 << attempt));
  }
}

std::optional<Json> OpenAiCompletionsBackend::list_models() {
  http::HttpClientOptions http_options;
  http_options.read_timeout = std::chrono::seconds(30);
  http_options.allow_plain_http = true;
  http_options.user_agent = "junction-eval/0.1";
  http::HttpHeaders headers = {{"Accept", "application/json"}};
  if (!options_.api_key.empty()) headers.push_back({"Authorization", "Bearer " + options_.api_key});
  try {
    http::HttpClient client(http_options);
    auto [head, answer] = client.get_text(base_url_ + "/v1/models", headers, size_t{16} << 20);
    if (head.status < 200 || head.status >= 300) return std::nullopt;
    Json j = parse_json<Json>(answer);
    if (j.is_discarded()) return std::nullopt;
    return j;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::vector<int32_t> OpenAiCompletionsBackend::tokenize(const std::string& text) {
  if (tokenizer_) return tokenizer_->encode(text, false);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (const auto it = token_cache_.find(text); it != token_cache_.end()) return it->second;
  }
  Json answer;
  try {
    answer = post("/tokenize",
                  {{"model", options_.model}, {"prompt", text}, {"add_special_tokens", false}});
  } catch (const Error& e) {
    throw Error(std::string(e.what()) +
                "\n(loglikelihood scoring must split contexts into the model's tokens: give "
                "--tokenizer DIR with the model's tokenizer.json, or use a server with vLLM's "
                "POST /tokenize)");
  }
  if (!answer.contains("tokens") || !answer["tokens"].is_array())
    throw Error(base_url_ + "/tokenize answered without a \"tokens\" array");
  std::vector<int32_t> ids = answer["tokens"].get<std::vector<int32_t>>();
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (token_cache_.size() >= kTokenCacheMax) token_cache_.clear();
  token_cache_.emplace(text, ids);
  return ids;
}

int32_t OpenAiCompletionsBackend::prefix_token() {
  if (tokenizer_ && tokenizer_->eos_id()) return *tokenizer_->eos_id();
  if (tokenizer_ && tokenizer_->bos_id()) return *tokenizer_->bos_id();
  throw Error("an empty context needs the model's EOS token id: give --tokenizer DIR");
}

std::vector<TokenScore> OpenAiCompletionsBackend::prompt_logprobs(std::span<const int32_t> ids) {
  const Json body = {{"model", options_.model},
                     {"prompt", std::vector<int32_t>(ids.begin(), ids.end())},
                     {"echo", true},
                     {"logprobs", 1},
                     {"max_tokens", echo_max_tokens_},
                     {"temperature", 0}};
  const Json answer = post("/v1/completions", body);
  if (!answer.contains("choices") || answer["choices"].empty())
    throw Error(base_url_ + "/v1/completions answered without choices");
  const Json& lp = answer["choices"][0]["logprobs"];
  if (!lp.is_object() || !lp.contains("token_logprobs") || !lp["token_logprobs"].is_array())
    throw Error(base_url_ +
                "/v1/completions gave no logprobs.token_logprobs with echo: true "
                "(this endpoint does not return prompt logprobs)");
  const Json& token_logprobs = lp["token_logprobs"];
  const Json& top = lp.contains("top_logprobs") ? lp["top_logprobs"] : Json();
  if (token_logprobs.size() < ids.size())
    throw Error(base_url_ + "/v1/completions echoed " + std::to_string(token_logprobs.size()) +
                " prompt logprobs for " + std::to_string(ids.size()) +
                " prompt tokens (does it add a BOS or re-tokenize token-id prompts?)");
  std::vector<TokenScore> out(ids.size());
  for (size_t k = 1; k < ids.size(); ++k) {
    if (!token_logprobs[k].is_number())
      throw Error(base_url_ + "/v1/completions returned a null logprob for prompt token " +
                  std::to_string(k));
    out[k].logprob = token_logprobs[k].get<double>();
    // lm-eval: greedy when the token's logprob equals the best of the top alternatives.
    double best = out[k].logprob;
    if (top.is_array() && k < top.size() && top[k].is_object())
      for (const auto& [token, value] : top[k].items())
        if (value.is_number()) best = std::max(best, value.get<double>());
    out[k].is_greedy = out[k].logprob >= best;
  }
  return out;
}

void OpenAiCompletionsBackend::probe_loglikelihood() {
  const std::vector<int32_t> ids = tokenize("The capital of France is Paris.");
  if (ids.size() < 2) throw Error("probe prompt tokenized to fewer than 2 tokens");
  std::string first_failure;
  for (const int max_tokens : {0, 1}) {
    echo_max_tokens_ = max_tokens;
    try {
      prompt_logprobs(ids);
      return;
    } catch (const Error& e) {
      const std::string what = e.what();
      // Unreachable is not the same as unable: say which.
      if (what.find("connecting to") != std::string::npos ||
          what.find("resolving") != std::string::npos ||
          what.find("TLS handshake") != std::string::npos)
        throw;
      if (first_failure.empty()) first_failure = what;
    }
  }
  throw Error(
      "loglikelihood tasks need prompt logprobs (POST /v1/completions with echo: true, "
      "logprobs: 1), and " +
      base_url_ + " does not give them: " + first_failure +
      "\nllama.cpp's server and chat-only providers cannot score loglikelihoods; run "
      "these tasks with --mode generative (a separately reported column) instead of "
      "reporting chance-level numbers.");
}

std::vector<TokenScore> OpenAiCompletionsBackend::score(std::span<const int32_t> context,
                                                        std::span<const int32_t> continuation) {
  std::vector<int32_t> ids(context.begin(), context.end());
  ids.insert(ids.end(), continuation.begin(), continuation.end());
  const std::vector<TokenScore> all = prompt_logprobs(ids);
  return {all.begin() + static_cast<std::ptrdiff_t>(context.size()), all.end()};
}

namespace {

Generation parse_generation(const Json& answer, bool chat) {
  Generation g;
  if (!answer.contains("choices") || answer["choices"].empty())
    throw Error("the endpoint answered without choices");
  const Json& choice = answer["choices"][0];
  if (chat) {
    const Json& msg = choice.at("message");
    if (msg.contains("content") && msg["content"].is_string())
      g.text = msg["content"].get<std::string>();
    for (const char* key : {"reasoning_content", "reasoning"})
      if (msg.contains(key) && msg[key].is_string()) g.reasoning = msg[key].get<std::string>();
  } else if (choice.contains("text") && choice["text"].is_string()) {
    g.text = choice["text"].get<std::string>();
  }
  // A server that does not split reasoning leaves <think>...</think> in the content.
  if (const size_t end = g.text.find("</think>"); g.reasoning.empty() && end != std::string::npos) {
    g.reasoning = g.text.substr(0, end);
    const size_t start = g.text.find_first_not_of(" \t\r\n", end + 8);
    g.text = start == std::string::npos ? "" : g.text.substr(start);
  }
  if (choice.contains("finish_reason") && choice["finish_reason"].is_string())
    g.finish_reason = choice["finish_reason"].get<std::string>();
  if (answer.contains("usage") && answer["usage"].is_object()) {
    g.prompt_tokens = answer["usage"].value("prompt_tokens", int64_t{0});
    g.completion_tokens = answer["usage"].value("completion_tokens", int64_t{0});
    const Json& details = answer["usage"].contains("completion_tokens_details")
                              ? answer["usage"]["completion_tokens_details"]
                              : Json();
    if (details.is_object() && details.contains("reasoning_tokens") &&
        details["reasoning_tokens"].is_number_integer())
      g.reasoning_tokens = details["reasoning_tokens"].get<int64_t>();
  }
  return g;
}

void add_params(Json& body, const GenerationParams& params) {
  body["max_tokens"] = params.max_tokens;
  body["temperature"] = params.temperature;
  if (params.top_p < 1) body["top_p"] = params.top_p;
  if (!params.stop.empty()) body["stop"] = params.stop;
  if (params.seed) body["seed"] = *params.seed;
}

}  // namespace

Generation OpenAiCompletionsBackend::complete(const std::string& prompt,
                                              const GenerationParams& params) {
  Json body = {{"model", options_.model}, {"prompt", prompt}};
  add_params(body, params);
  return parse_generation(post("/v1/completions", body), false);
}

Generation OpenAiCompletionsBackend::chat(const std::vector<ChatMessage>& messages,
                                          const GenerationParams& params) {
  Json msgs = Json::array();
  for (const ChatMessage& m : messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
  Json body = {{"model", options_.model}, {"messages", msgs}};
  add_params(body, params);
  return parse_generation(post("/v1/chat/completions", body), true);
}

}  // namespace junction::eval
