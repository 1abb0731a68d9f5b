// The seam between the harness and a model: tokenize, score a continuation's tokens given a
// context, and generate (raw completion or chat). Two implementations: OpenAiCompletionsBackend
// (any OpenAI-compatible endpoint over HTTP) and LocalEngineBackend (the engine in process).
// Implementations must be safe to call from several runner threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace junction::eval {

// One continuation token as the model scored it.
struct TokenScore {
  double logprob = 0;      // log p(token | everything before it), natural log
  bool is_greedy = false;  // the token is the argmax of that distribution
};

struct GenerationParams {
  int64_t max_tokens = 512;
  double temperature = 0;  // 0: greedy
  double top_p = 1;        // nucleus sampling; 1: off (not sent)
  std::vector<std::string> stop;
  std::optional<uint64_t> seed;
};

struct Generation {
  std::string text;       // the generated text only (reasoning split off when the server did)
  std::string reasoning;  // reasoning_content, when the endpoint separates it
  std::string finish_reason;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  // usage.completion_tokens_details.reasoning_tokens when the endpoint counts them; -1 unknown.
  int64_t reasoning_tokens = -1;
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

class ScoringBackend {
 public:
  virtual ~ScoringBackend() = default;

  // What the result file calls the endpoint: a URL, or "local:<model path>".
  virtual std::string endpoint() const = 0;

  // Text -> ids without special tokens (no BOS), as lm-eval's tok_encode for these tasks.
  virtual std::vector<int32_t> tokenize(const std::string& text) = 0;

  // The token lm-eval puts in front of an empty context (its prefix_token_id: the EOS/EOT
  // token, else BOS). Only used when a context is empty.
  virtual int32_t prefix_token() = 0;

  // Scores `continuation` after `context` (context non-empty): one entry per continuation token.
  virtual std::vector<TokenScore> score(std::span<const int32_t> context,
                                        std::span<const int32_t> continuation) = 0;

  // A raw text completion of `prompt` (HumanEval's base-model style).
  virtual Generation complete(const std::string& prompt, const GenerationParams& params) = 0;

  // A chat turn through the model's chat template.
  virtual Generation chat(const std::vector<ChatMessage>& messages,
                          const GenerationParams& params) = 0;
};

}  // namespace junction::eval
