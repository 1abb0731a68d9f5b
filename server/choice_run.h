// One choice of a completion as the HTTP thread sees it (ChoiceRun): submits an EngineRequest,
// reads its RequestStream, turns token ids into text (streaming detokenizer), applies stop
// strings (holding back text that could begin one, cancelling the engine sequence on a match),
// and counts reasoning tokens. And the loop both endpoints run their n choices through
// (ChoiceLoop), streaming or not: submit, poll round-robin until all finish, stop on a closed
// client, then the engine-error check, the metrics and the end of a stream.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/reasoning_tokens.h"
#include "engine/request.h"
#include "engine/stop_strings.h"
#include "http/http_server.h"
#include "server/openai_request.h"
#include "server/openai_response.h"
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
  int64_t n_reasoning_tokens() const { return reasoning_.count(); }
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
  ReasoningTokenCounter reasoning_;
};

// The choices of one request (n of one chat prompt; prompts x n for completions), run to the
// end the same way by both endpoints. What a poll means for the response (parsing, chunks) is
// the endpoint's on_progress; everything else about running them is here.
class ChoiceLoop {
 public:
  using Clock = std::chrono::steady_clock;
  // `start`: when the request arrived (time to first token, request latency). `options`: the
  // stop strings and skip_special_tokens every choice applies.
  ChoiceLoop(const ServingContext& context, const GenerationOptions& options,
             Clock::time_point start);

  // Submits one more choice. A rejection (ApiError: 429, 400, 503) cancels the choices
  // submitted before it and is rethrown.
  void submit(EngineRequest request, bool starts_in_reasoning);
  size_t size() const { return runs_.size(); }
  const ChoiceRun& operator[](size_t i) const { return *runs_[i]; }
  void cancel();

  // Starts the 200 event stream; false (everything cancelled) if the client is already gone.
  bool start_stream(http::HttpResponder& out);

  // Sees one poll of choice i: its new text and tokens (the run tells whether it finished).
  // False when a write failed: the rest of this round is skipped.
  using OnProgress = std::function<bool(size_t i, ChoiceRun::Progress& progress)>;
  // Polls the unfinished choices in turn until all have finished. False if the client closed:
  // then every choice is cancelled and the request counted as aborted.
  bool run(http::HttpResponder& out, int64_t n_prompt_tokens, const OnProgress& on_progress);

  // After run(). If a choice failed in the engine: throws ApiError 500, or when streaming ends
  // the stream with an error event, and returns true.
  bool engine_failed(http::HttpResponder& out, bool stream) const;
  int64_t n_generated() const;
  int64_t n_reasoning_tokens() const;
  // Cached prompt tokens: the most of any choice (chat: n choices of one prompt), or the sum.
  int64_t max_cached_tokens() const;
  int64_t sum_cached_tokens() const;
  // Speculative decoding's drafted tokens over every choice.
  PredictionTokens prediction_tokens() const;
  // Counts the request as finished in the metrics, with its first choice's finish_reason.
  void record_finished(const std::string& finish_reason, int64_t n_prompt_tokens) const;
  // A stream's end: the usage chunk (if any, with stream_options.include_usage), [DONE].
  static void end_stream(http::HttpResponder& out, const std::optional<Json>& usage_chunk);

 private:
  const ServingContext& context_;
  const GenerationOptions& options_;
  Clock::time_point start_;
  std::vector<std::unique_ptr<ChoiceRun>> runs_;
  std::vector<Clock::time_point> last_token_;  // per choice, for inter-token latency
};

}  // namespace junction::server
