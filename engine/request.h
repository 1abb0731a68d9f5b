// What crosses from the HTTP layer into the engine loop and back: a request as token ids and
// plain options (no JSON, no text), and the per-request channel the engine writes its tokens
// into. The engine thread is the only writer of a stream; one HTTP thread is its only reader.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/sampler.h"

namespace junction {

// Constrained decoding seam: the engine asks which tokens may come next and reports the one
// chosen. Implementations (engine/json_constraint.h) are per request and engine-thread only.
class TokenConstraint {
 public:
  virtual ~TokenConstraint() = default;
  // Sets the logits of tokens not allowed next to -infinity. logits: [vocab].
  virtual void mask(std::span<float> logits) = 0;
  virtual void accept(int32_t token) = 0;
};

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0;  // natural log, of the model's raw distribution (before sampling filters)
};

// One token of output (or of the prompt, for prompt logprobs).
struct TokenEvent {
  int32_t token = 0;
  float logprob = 0;              // meaningful when the request asked for logprobs
  std::vector<TokenLogprob> top;  // the top_logprobs most likely tokens, best first
};

enum class StopReason { kLength, kStop, kCancelled, kError };

struct EngineRequest {
  std::vector<int32_t> prompt;  // non-empty
  int64_t max_tokens = 16;      // already clipped so prompt + max_tokens fits the context
  int64_t min_tokens = 0;       // end-of-sequence ids are masked until this many are out
  SamplingParams sampling;
  std::vector<int32_t> eos_ids;
  bool ignore_eos = false;
  int top_logprobs = -1;         // -1: no logprobs; 0: the chosen token's; k: k alternatives too
  bool prompt_logprobs = false;  // logprobs of prompt tokens 1..n-1 (echo), top_logprobs wide
  std::unique_ptr<TokenConstraint> constraint;
};

struct FinishInfo {
  StopReason reason = StopReason::kLength;
  int64_t n_prompt_tokens = 0;
  int64_t n_cached_tokens = 0;  // prompt tokens whose KV came from the prefix cache
  std::string error;            // kError only
  // Speculative decoding: drafted tokens the target verified, and how many of them it kept
  // (OpenAI's accepted_prediction_tokens; rejected = drafted - accepted).
  int64_t n_draft_tokens = 0;
  int64_t n_accepted_draft_tokens = 0;
};

// What a reader takes out of a stream at once.
struct StreamUpdate {
  std::vector<TokenEvent> prompt_logprobs;  // once, before any token, when asked for
  std::vector<TokenEvent> tokens;
  std::optional<FinishInfo> finish;
};

class RequestStream {
 public:
  // Engine side.
  void push_prompt_logprobs(std::vector<TokenEvent> events) {
    std::lock_guard lock(mutex_);
    pending_.prompt_logprobs = std::move(events);
    ready_.notify_one();
  }
  void push(TokenEvent event) {
    std::lock_guard lock(mutex_);
    pending_.tokens.push_back(std::move(event));
    ready_.notify_one();
  }
  void finish(FinishInfo info) {
    std::lock_guard lock(mutex_);
    pending_.finish = std::move(info);
    ready_.notify_one();
  }

  // Reader side: waits up to `timeout` for something new; returns what arrived (maybe nothing).
  StreamUpdate wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, timeout, [&] {
      return !pending_.tokens.empty() || pending_.finish || !pending_.prompt_logprobs.empty();
    });
    StreamUpdate out = std::move(pending_);
    pending_ = StreamUpdate{};
    return out;
  }
  // Asks the engine to stop this request and free its KV cache at its next step.
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  StreamUpdate pending_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace junction
