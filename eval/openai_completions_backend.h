// ScoringBackend over any OpenAI-compatible endpoint (junction serve, vLLM, a gateway, a hosted
// provider). Loglikelihoods come from POST /v1/completions with the prompt as token ids,
// `echo: true, logprobs: 1, max_tokens: 0`: the prompt's own token logprobs, plus the top-1
// alternative for is_greedy (lm-eval's local-completions parse_logprobs). Generation goes
// through /v1/completions (raw text) or /v1/chat/completions. Tokenization uses the model's
// tokenizer.json when given (--tokenizer / --model-path), else the server's vLLM-style
// POST /tokenize. One HTTP connection per request, so any number of threads may share it.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "eval/scoring_backend.h"
#include "tokenizer/tokenizer.h"

namespace junction::eval {

struct OpenAiEndpoint {
  std::string url;         // "http://127.0.0.1:8080" or ".../v1"
  std::string model;       // the "model" field of every request
  std::string api_key;     // sent as "Authorization: Bearer ..." when non-empty
  double timeout_s = 600;  // per read; a long generation may be silent that long
  int retries = 3;         // on connection errors, 429 and 5xx
};

class OpenAiCompletionsBackend : public ScoringBackend {
 public:
  // `local_tokenizer` may be null: then the server's /tokenize is used.
  OpenAiCompletionsBackend(OpenAiEndpoint endpoint,
                           std::unique_ptr<tokenizer::Tokenizer> local_tokenizer);
  ~OpenAiCompletionsBackend() override;

  // Asks for the logprobs of a short prompt with echo. Throws junction::Error saying what is
  // missing (llama.cpp's server and chat-only providers return no prompt logprobs) and pointing
  // to --mode generative, rather than letting a run report chance-level numbers. Also learns
  // whether the server accepts max_tokens 0 (else 1, and the generated token is ignored).
  void probe_loglikelihood();

  std::string endpoint() const override { return base_url_; }
  std::vector<int32_t> tokenize(const std::string& text) override;
  int32_t prefix_token() override;
  std::vector<TokenScore> score(std::span<const int32_t> context,
                                std::span<const int32_t> continuation) override;
  Generation complete(const std::string& prompt, const GenerationParams& params) override;
  Generation chat(const std::vector<ChatMessage>& messages,
                  const GenerationParams& params) override;

  int echo_max_tokens() const { return echo_max_tokens_; }

  // GET /v1/models (a gateway lists each model's prices there); nullopt when the endpoint does
  // not answer it with JSON. Once, without retries: only the cost estimate depends on it.
  std::optional<nlohmann::ordered_json> list_models();

 private:
  // POSTs JSON to base_url_ + path; returns the parsed answer. Retries transient failures;
  // throws junction::Error with the server's message otherwise.
  nlohmann::ordered_json post(const std::string& path, const nlohmann::ordered_json& body);
  // token_logprobs / top_logprobs of the prompt `ids` (entry k is log p(ids[k] | ids[<k])).
  std::vector<TokenScore> prompt_logprobs(std::span<const int32_t> ids);

  OpenAiEndpoint options_;
  std::string base_url_;  // without a trailing "/v1"
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  int echo_max_tokens_ = 0;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, std::vector<int32_t>> token_cache_;  // server tokenizations
};

}  // namespace junction::eval
