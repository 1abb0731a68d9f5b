// The engine thread: owns the model's backend, every sequence's KV cache and sampler, and runs
// continuous batching. HTTP threads only call submit() and read their RequestStream; each step
// the loop takes new requests, drops cancelled ones (freeing their KV at once), asks the
// Scheduler for the step's slices, runs one Model::forward over all of them and pushes each
// sampled token into its stream. When the KV pool runs out, the Scheduler preempts the newest
// running sequence: it keeps its tokens, sampler, constraint and stream, and on re-admission
// prefills its prompt and generated tokens again (reusing those of its blocks still cached) and
// goes on as if nothing happened.
//
// KV memory is one paged pool (model/kv_cache.h); the Scheduler's BlockManager says which
// blocks each sequence holds. Prefix caching: after every step the sequences' newly filled
// blocks are published under their chained token hash; a new prompt reuses the blocks of its
// longest published prefix (from running sequences and finished ones alike) and computes only
// the rest. Blocks of finished sequences stay cached until their memory is needed. A chat's
// next turn reuses the previous turn's prompt and answer up to the first block the template
// changed (the R1 template drops the reasoning from history: reuse ends at the block where
// the reasoning began).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/request.h"
#include "engine/scheduler.h"
#include "engine/speculative_sequence.h"
#include "engine/step_budget.h"
#include "kernels/ops.h"
#include "model/model.h"

namespace junction {

struct EngineOptions {
  SchedulerConfig scheduler;
  bool prefix_caching = true;
  int64_t logits_chunk = 64;  // prefill chunk of a request that keeps every row's logits
  // Step time aimed at while sequences decode: prefill chunks are cut to fit (step_budget.h).
  // 0: no limit beyond scheduler.step_token_budget.
  double itl_target_s = 0.2;
  // Element types of the KV pool's keys and values (the CLI defaults to f16, as llama.cpp).
  KvCacheType kv_type = kKvCacheF32;
  // Speculative decoding (engine/speculative_sequence.h): off unless a drafter is given.
  SpeculativeOptions speculative;
};

// A snapshot for /metrics; written by the engine thread after every step.
struct EngineStats {
  int64_t n_running = 0;
  int64_t n_waiting = 0;
  int64_t n_used_blocks = 0;    // held by running sequences
  int64_t n_cached_blocks = 0;  // holding prefixes of finished sequences, reusable
  int64_t n_total_blocks = 0;
  int64_t prefix_queried_tokens = 0;  // prompt tokens looked up in the prefix cache
  int64_t prefix_hit_tokens = 0;      // of those, found
  int64_t n_steps = 0;
  int64_t n_preemptions = 0;      // running sequences sent back to the queue for lack of KV blocks
  int64_t spec_draft_tokens = 0;  // tokens drafted and verified (speculative decoding)
  int64_t spec_accepted_tokens = 0;  // of those, kept by the target
};

class EngineLoop {
 public:
  // model and backend must outlive the loop; the backend is used by the engine thread only.
  EngineLoop(const Model& model, kernels::Backend& backend, EngineOptions options);
  ~EngineLoop();
  EngineLoop(const EngineLoop&) = delete;
  EngineLoop& operator=(const EngineLoop&) = delete;

  enum class Submit { kAccepted, kQueueFull, kTooLarge, kStopped };
  // Thread-safe. On kAccepted the stream will eventually receive finish(); otherwise nothing is
  // ever written to it.
  Submit submit(EngineRequest request, std::shared_ptr<RequestStream> stream);

  // Stops taking requests; in-flight ones keep running. Thread-safe.
  void stop_accepting();
  // True when nothing is queued or running.
  bool idle() const;
  // Cancels whatever is left and joins the engine thread. Thread-safe; idempotent.
  void stop();

  EngineStats stats() const;
  const EngineOptions& options() const { return options_; }

 private:
  struct Active;

  void run();
  void take_new(std::deque<std::pair<EngineRequest, std::shared_ptr<RequestStream>>>& inbox);
  void drop_cancelled();
  void start_admitted();
  void step();
  // Samples the next token from `row` and emits it; returns it, or -1 when none was emitted.
  // With a drafted token (and the distribution q it was drawn from, [vocab], or null for a
  // point mass) the choice follows the speculative rule: the drafted token when it is kept.
  int32_t sample_row(Active& a, float* row, const int32_t* draft = nullptr,
                     const float* q = nullptr);
  int64_t propose_draft(Active& a, int64_t pos0);
  int64_t verify_draft(Active& a, float* rows, int64_t n_draft);
  void prompt_logprob_row(Active& a, const float* row, int32_t next_token);
  static bool wants_prompt_logprobs(const Active& a);
  void requeue_preempted(Active& a);
  void finish(Active& a, StopReason reason, std::string error = {});
  void reap_finished();
  void publish_blocks(Active& a);
  Active* find(uint64_t id);
  void publish_stats();

  const Model& model_;
  kernels::Backend& backend_;
  EngineOptions options_;
  int64_t vocab_;

  // Shared with submitters.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<EngineRequest, std::shared_ptr<RequestStream>>> inbox_;
  bool accepting_ = true;
  bool stop_ = false;
  std::atomic<int64_t> n_pending_{0};  // inbox + scheduler queue, for the bounded queue
  std::atomic<int64_t> n_live_{0};     // accepted and not yet finished
  EngineStats stats_;                  // guarded by mutex_

  // Engine thread only.
  Scheduler scheduler_;
  StepBudget step_budget_;
  KvPool pool_;
  uint64_t next_id_ = 1;
  std::vector<std::unique_ptr<Active>> active_;
  ForwardScratch scratch_;
  std::vector<float> logits_;  // [rows, vocab]
  int64_t prefix_queried_ = 0, prefix_hits_ = 0, n_steps_ = 0;
  int64_t spec_drafted_ = 0, spec_accepted_ = 0;

  std::thread thread_;
};

}  // namespace junction
