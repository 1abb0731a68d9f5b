// Which sequences run in the next forward step: continuous batching with chunked prefill and
// KV block accounting. Pure logic: no model, no clocks, no threads, so its tests are exact.
//
// Policy (vLLM's chunked-prefill order): every running sequence that is decoding gets its one
// token first; the rest of the step's token budget goes to prefill chunks, oldest sequence
// first. A waiting sequence is admitted (FIFO, no overtaking) only when a running slot is free
// and the blocks for its whole prompt + max_tokens are free, so a running sequence never has to
// be preempted. The KV memory itself is contiguous per sequence (model/kv_cache.h); blocks are
// the unit this class budgets it in, and what admission and the KV-usage metric count.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

namespace junction {

struct SchedulerConfig {
  int64_t max_running = 4;          // sequences in one batch (--parallel)
  int64_t max_waiting = 64;         // bounded queue; beyond it admission answers "full"
  int64_t block_size = 16;          // tokens per KV block
  int64_t n_blocks = 1024;          // KV capacity: blocks
  int64_t step_token_budget = 512;  // tokens per forward step (decodes + prefill chunks)
};

struct ScheduledSlice {
  uint64_t id = 0;
  int64_t pos0 = 0;      // first position computed in this step
  int64_t n_tokens = 0;  // 1 for a decode
  bool prefill = false;  // the tokens come from the prompt
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerConfig config);

  enum class Admission { kQueued, kQueueFull, kTooLarge };
  // A new request: n_prompt tokens to prefill, n_total = prompt + max_tokens tokens of KV at
  // most. max_chunk limits its prefill chunk (0: no limit beyond the step budget).
  Admission add(uint64_t id, int64_t n_prompt, int64_t n_total, int64_t max_chunk = 0);

  // Moves waiting sequences into the running set while slots and blocks allow; returns them in
  // admission order (the caller sets up their caches, and may call skip_prefix).
  std::vector<uint64_t> admit();
  // Blocks the oldest waiting sequence needs beyond what is free (for evicting cached
  // prefixes); nullopt if nothing waits or a slot is not free anyway.
  std::optional<int64_t> blocks_short_for_next() const;
  // The first n prompt tokens of a just-admitted sequence are already in its cache.
  void skip_prefix(uint64_t id, int64_t n);

  // The next step's slices; empty when nothing runs.
  std::vector<ScheduledSlice> plan() const;
  // The step ran: advance each slice's sequence.
  void complete(const std::vector<ScheduledSlice>& slices);
  // A sequence finished, was cancelled or failed: free its slot and blocks, or drop it from the
  // queue. Unknown ids are ignored.
  void remove(uint64_t id);

  // Blocks held outside running sequences (a prefix cache); fails if not free.
  bool hold_blocks(int64_t n);
  void release_blocks(int64_t n);

  int64_t blocks_for(int64_t tokens) const;
  int64_t n_running() const { return static_cast<int64_t>(running_.size()); }
  int64_t n_waiting() const { return static_cast<int64_t>(waiting_.size()); }
  int64_t n_free_blocks() const { return config_.n_blocks - used_blocks_; }
  int64_t n_used_blocks() const { return used_blocks_; }
  const SchedulerConfig& config() const { return config_; }
  bool is_running(uint64_t id) const;

 private:
  struct Entry {
    uint64_t id;
    int64_t n_prompt, n_total, max_chunk;
    int64_t n_computed = 0;  // tokens whose KV is in the cache
    int64_t n_blocks = 0;    // reserved while running
  };

  SchedulerConfig config_;
  std::deque<Entry> waiting_;
  std::vector<Entry> running_;  // admission order
  int64_t used_blocks_ = 0;
};

}  // namespace junction
