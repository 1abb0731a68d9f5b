// Which sequences run in the next forward step: continuous batching with chunked prefill over a
// paged KV cache. Pure logic: no model, no clocks, no threads, so its tests are exact.
//
// Policy (vLLM's chunked-prefill order): every running sequence that is decoding gets its one
// token first; the rest of the step's token budget goes to prefill chunks, oldest sequence
// first. A waiting sequence is admitted (FIFO, no overtaking) only when a running slot is free
// and the blocks for its whole prompt + max_tokens can be promised, counting the prompt prefix
// it reuses from the block manager (engine/block_manager.h) as already there; so a running
// sequence never has to be preempted. Blocks are allocated as a sequence grows, from what was
// promised to it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "engine/block_manager.h"

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

  // The oldest waiting sequence, if a running slot is free for it.
  std::optional<uint64_t> next_to_admit() const;
  // Moves that sequence into the running set reusing `prefix` (a BlockManager::match of its
  // prompt; cut to whole blocks short of the prompt's last token, which must be computed for
  // its logits) if the blocks it may still need can be promised; false leaves it waiting.
  bool admit(uint64_t id, const PrefixMatch& prefix = {});
  // Admits without prefix reuse while slots and blocks allow; returns the admitted ids.
  std::vector<uint64_t> admit_all();

  // The next step's slices; empty when nothing runs. While some sequence decodes, prefill
  // chunks together take at most `prefill_budget_while_decoding` tokens (engine/step_budget.h
  // sizes it to an inter-token latency target); with no decode the whole step budget is theirs.
  std::vector<ScheduledSlice> plan(int64_t prefill_budget_while_decoding = INT64_MAX) const;
  // Grows a running sequence's block table to hold n_tokens positions (from its promise, so it
  // cannot fail for a planned slice) and returns it.
  std::span<const int32_t> ensure_blocks(uint64_t id, int64_t n_tokens);
  // The step ran: advance each slice's sequence.
  void complete(const std::vector<ScheduledSlice>& slices);
  // A sequence finished, was cancelled or failed: free its slot and release its blocks (those
  // holding a published prefix stay cached), or drop it from the queue. Unknown ids are
  // ignored.
  void remove(uint64_t id);

  // A running sequence's blocks, in position order; empty if it is not running.
  std::span<const int32_t> blocks_of(uint64_t id) const;
  // Tokens reused from cached blocks when the sequence was admitted.
  int64_t n_reused(uint64_t id) const;

  int64_t blocks_for(int64_t tokens) const;
  int64_t n_running() const { return static_cast<int64_t>(running_.size()); }
  int64_t n_waiting() const { return static_cast<int64_t>(waiting_.size()); }
  // Blocks neither in use, nor promised to a running sequence (cached ones count as free).
  int64_t n_free_blocks() const { return blocks_.n_available() - promised_; }
  int64_t n_used_blocks() const { return blocks_.n_in_use(); }
  const SchedulerConfig& config() const { return config_; }
  bool is_running(uint64_t id) const;
  BlockManager& block_manager() { return blocks_; }
  const BlockManager& block_manager() const { return blocks_; }

 private:
  struct Entry {
    uint64_t id;
    int64_t n_prompt, n_total, max_chunk;
    int64_t n_computed = 0;  // tokens whose KV is in the cache
    int64_t n_reused = 0;    // of those, taken from cached blocks at admission
    int64_t promised = 0;    // blocks it may still allocate
    std::vector<int32_t> table{};
  };
  Entry* running(uint64_t id);
  const Entry* running(uint64_t id) const;

  SchedulerConfig config_;
  BlockManager blocks_;
  std::deque<Entry> waiting_;
  std::vector<Entry> running_;  // admission order
  int64_t promised_ = 0;        // sum of running sequences' promises
};

}  // namespace junction
