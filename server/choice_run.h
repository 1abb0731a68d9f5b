// One choice of a completion as the HTTP thread sees it: submits an EngineRequest, reads its
// RequestStream, turns token ids into text (streaming detokenizer), applies stop strings
// (holding back text that could begin one, cancelling the engine sequence on a match), and
// counts reasoning tokens. Shared by /v1/chat/completions and /v1/completions.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/request.h"
#include "engine/stop_strings.h"
#include "server/serving_context.h"
#include "tokenizer/incremental_detokenizer.h"

namespace junction::server {

// Time to first token (once per request) and inter-token latency (per choice, per token) into
// the server's histograms, from when each poll delivered tokens. Shared by both endpoints.
class LatencyRecorder {
 public:
  using Clock = std::chrono::steady_clock;
  LatencyRecorder(Metrics* metrics, Clock::time_point start) : metrics_(metrics), start_(start) {}

  // `last_token` is the choice's previous arrival (updated here); n_tokens arrived at `now`.
  void tokens_arrived(Clock::time_point& last_token, size_t n_tokens, Clock::time_point now) {
    if (n_tokens == 0) return;
    if (!first_token_seen_) {
      metrics_->first_token(std::chrono::duration<double>(now - start_).count());
      first_token_seen_ = true;
    } else if (last_token != Clock::time_point{}) {
      metrics_->inter_token(std::chrono::duration<double>(now - last_token).count() / n_tokens);
    }
    last_token = now;
  }

 private:
  Metrics* metrics_;
  Clock::time_point start_;
  bool first_token_seen_ = false;
};

class ChoiceRun {
 public:
  ChoiceRun(const ServingContext& context, std::vector<std::string> stop, bool skip_special_tokens,
            bool starts_in_reasoning);

  // Throws ApiError: 429 (queue full, with Retry-After), 400 (too large), 503 (shutting down).
  void submit(EngineRequest request);

  struct Progress {
    std::string text;                // new final text
    std::vector<TokenEvent> tokens;  // new tokens (their text may still be held back)
  };
  // Waits up to `wait` for output; finished() tells when it is complete.
  Progress poll(std::chrono::milliseconds wait);
  void cancel();

  bool finished() const { return finish_.has_value(); }
  // "stop", "length", or "error"/"cancelled"; valid once finished.
  std::string finish_reason() const;
  const FinishInfo& finish_info() const { return *finish_; }
  int64_t n_generated() const { return n_generated_; }
  int64_t n_reasoning_tokens() const { return n_reasoning_; }
  const std::vector<TokenEvent>& prompt_logprobs() const { return prompt_logprobs_; }
  bool got_first_token() const { return n_generated_ > 0; }

 private:
  void append_text(const std::string& piece, Progress& out);

  const ServingContext& context_;
  StopStrings stops_;  // all final text so far, and what of it was returned
  std::optional<tokenizer::IncrementalDetokenizer> detokenizer_;
  std::shared_ptr<RequestStream> stream_;
  std::optional<FinishInfo> finish_;
  int64_t n_generated_ = 0;
  std::vector<TokenEvent> prompt_logprobs_;
  bool in_reasoning_;
  bool reasoning_decided_;
  int64_t n_reasoning_ = 0;
};

}  // namespace junction::server
