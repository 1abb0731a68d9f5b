// Which sequences run in the next forward step: continuous batching with chunked prefill over a
// paged KV cache. Pure logic: no model, no clocks, no threads, so its tests are exact.
//
// Policy (vLLM's, with recompute preemption): every running sequence that is decoding gets its
// one token first; the rest of the step's token budget goes to prefill chunks, oldest sequence
// first. A waiting sequence is admitted (FIFO, no overtaking) when a running slot is free and the
// blocks it needs now can be allocated: its prompt, less the prefix it reuses from the block
// manager (engine/block_manager.h), plus a small watermark of blocks left free so the running
// sequences can keep decoding. max_tokens is not reserved, so one request with a large
// max_tokens does not hold the others back. A decoding sequence takes a new block when it
// crosses a block boundary (grow()); when none is left, the most recently admitted running
// sequence is preempted: its blocks are released (published ones stay cached) and it goes back
// to the front of the queue, to prefill its prompt and the tokens it generated so far when it is
// admitted again. The oldest running sequence is never preempted for a newer one, so it always
// makes progress; a sequence whose prompt + max_tokens exceeds the whole pool is refused (it
// could never finish).
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
  // Blocks an admission must leave free while other sequences run, so they can decode without
  // preempting the sequence just admitted. -1: 1% of the pool, at least 1 (vLLM's default).
  int64_t watermark_blocks = -1;
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
  // Moves that sequence into the running set reusing `prefix` (a BlockManager::match of the
  // tokens it prefills; cut to whole blocks short of the last one, which must be computed for its
  // logits) if the blocks for the rest of them, plus the watermark while others run, are free;
  // they are allocated now. false leaves it waiting.
  bool admit(uint64_t id, const PrefixMatch& prefix = {});
  // Admits without prefix reuse while slots and blocks allow; returns the admitted ids.
  std::vector<uint64_t> admit_all();

  // The next step's slices; empty when nothing runs. While some sequence decodes, prefill
  // chunks together take at most `prefill_budget_while_decoding` tokens (engine/step_budget.h
  // sizes it to an inter-token latency target); with no decode the whole step budget is theirs.
  std::vector<ScheduledSlice> plan(int64_t prefill_budget_while_decoding = INT64_MAX) const;
  // Before plan(): gives every decoding sequence, oldest first, the block for its next token.
  // When the pool is out of blocks, preempts the most recently admitted running sequence (which
  // may be the one growing) until the block is there. Returns the preempted ids, newest first;
  // each is now at the front of the queue and, once admitted again, prefills the n_computed + 1
  // tokens it had (prompt and generated; a sequence still in its prompt prefills the prompt).
  std::vector<uint64_t> grow();
  // A running sequence's block table, which must hold n_tokens positions (admit() and grow()
  // allocated every planned slice's blocks; anything else is the caller's bug: logic_error).
  std::span<const int32_t> ensure_blocks(uint64_t id, int64_t n_tokens);
  // Speculative decoding: grows a running sequence's table towards n_tokens positions from
  // blocks that are free beyond the watermark (a draft is optional: it never preempts anyone
  // nor takes the blocks admission keeps back). Returns the positions the table holds now.
  int64_t extend_for_draft(uint64_t id, int64_t n_tokens);
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
  // Tokens a running sequence prefills on this admission (prompt, plus generated tokens after a
  // preemption); 0 if it is not running.
  int64_t n_prefill(uint64_t id) const;
  // Preemptions so far (a sequence preempted twice counts twice).
  int64_t n_preemptions() const { return n_preemptions_; }
  int64_t watermark_blocks() const { return watermark_; }

  int64_t blocks_for(int64_t tokens) const;
  int64_t n_running() const { return static_cast<int64_t>(running_.size()); }
  int64_t n_waiting() const { return static_cast<int64_t>(waiting_.size()); }
  // Blocks not in use (cached ones count as free).
  int64_t n_free_blocks() const { return blocks_.n_available(); }
  int64_t n_used_blocks() const { return blocks_.n_in_use(); }
  const SchedulerConfig& config() const { return config_; }
  bool is_running(uint64_t id) const;
  BlockManager& block_manager() { return blocks_; }
  const BlockManager& block_manager() const { return blocks_; }

 private:
  struct Entry {
    uint64_t id;
    int64_t n_prompt;  // tokens to prefill: the prompt, and after a preemption what it generated
    int64_t n_total, max_chunk;
    int64_t n_computed = 0;  // tokens whose KV is in the cache
    int64_t n_reused = 0;    // of those, taken from cached blocks at admission
    std::vector<int32_t> table{};
  };
  Entry* running(uint64_t id);
  const Entry* running(uint64_t id) const;
  // Moves running_[i] back to the front of the queue, releasing its blocks.
  void preempt(size_t i);

  SchedulerConfig config_;
  BlockManager blocks_;
  std::deque<Entry> waiting_;
  std::vector<Entry> running_;  // admission order
  int64_t watermark_ = 1;
  int64_t n_preemptions_ = 0;
};

}  // namespace junction
