#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <map>
#include <numeric>

namespace junction {
namespace {

SchedulerConfig small() {
  SchedulerConfig c;
  c.max_running = 2;
  c.max_waiting = 3;
  c.block_size = 4;
  c.n_blocks = 10;
  c.step_token_budget = 8;
  c.watermark_blocks = 1;
  return c;
}

TEST(Scheduler, AdmitsFifoWithinSlotsAndBlocks) {
  Scheduler s(small());
  EXPECT_EQ(s.add(1, 4, 8), Scheduler::Admission::kQueued);    // prompt: 1 block
  EXPECT_EQ(s.add(2, 10, 20), Scheduler::Admission::kQueued);  // prompt: 3 blocks
  EXPECT_EQ(s.add(3, 1, 2), Scheduler::Admission::kQueued);
  EXPECT_EQ(s.admit_all(), (std::vector<uint64_t>{1, 2}));  // slots: 2
  EXPECT_EQ(s.n_free_blocks(), 6);                          // the prompts' blocks are allocated
  EXPECT_EQ(s.n_used_blocks(), 4);
  EXPECT_EQ(s.n_waiting(), 1);
  s.remove(1);
  EXPECT_EQ(s.n_free_blocks(), 7);
  EXPECT_EQ(s.admit_all(), (std::vector<uint64_t>{3}));
}

TEST(Scheduler, BoundedQueueAndTooLarge) {
  Scheduler s(small());
  EXPECT_EQ(s.add(1, 50, 60), Scheduler::Admission::kTooLarge);  // 15 blocks > 10
  for (uint64_t id = 1; id <= 3; ++id) EXPECT_EQ(s.add(id, 1, 1), Scheduler::Admission::kQueued);
  EXPECT_EQ(s.add(4, 1, 1), Scheduler::Admission::kQueueFull);
}

TEST(Scheduler, HeadOfLineWaitsForBlocks) {
  Scheduler s(small());
  s.add(1, 20, 32);  // prompt: 5 blocks
  s.add(2, 20, 24);  // 5 blocks + the watermark: does not fit beside 1
  s.add(3, 1, 1);    // would fit, but may not overtake 2
  EXPECT_EQ(s.admit_all(), (std::vector<uint64_t>{1}));
  EXPECT_EQ(s.next_to_admit(), 2u);
  EXPECT_FALSE(s.admit(3));  // only the head may be admitted
  s.remove(1);
  EXPECT_EQ(s.admit_all(), (std::vector<uint64_t>{2, 3}));
}

TEST(Scheduler, DecodesFirstThenChunkedPrefill) {
  Scheduler s(small());
  s.add(1, 2, 6);
  s.add(2, 20, 24);
  s.admit_all();
  auto plan = s.plan();
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].id, 1u);
  EXPECT_EQ(plan[0].n_tokens, 2);
  EXPECT_TRUE(plan[0].prefill);
  EXPECT_EQ(plan[1].n_tokens, 6);  // budget 8 - 2
  s.complete(plan);
  plan = s.plan();
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_FALSE(plan[0].prefill);  // 1 decodes first
  EXPECT_EQ(plan[0].n_tokens, 1);
  EXPECT_EQ(plan[0].pos0, 2);
  EXPECT_EQ(plan[1].pos0, 6);
  EXPECT_EQ(plan[1].n_tokens, 7);
}

TEST(Scheduler, PrefillBudgetWhileDecodingCutsChunksOnlyWhenSomethingDecodes) {
  Scheduler s(small());
  s.add(1, 2, 6);
  s.add(2, 20, 24);
  s.admit_all();
  auto plan = s.plan(3);  // nothing decodes yet: the whole step budget goes to prompts
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].n_tokens + plan[1].n_tokens, 8);
  s.complete(plan);
  plan = s.plan(3);  // 1 decodes: prompt chunks get at most 3 tokens
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_FALSE(plan[0].prefill);
  EXPECT_TRUE(plan[1].prefill);
  EXPECT_EQ(plan[1].n_tokens, 3);
  plan = s.plan(100);  // a larger limit is still held to the step budget
  EXPECT_EQ(plan[1].n_tokens, 7);
  plan = s.plan(0);  // 0 starves the prompt; the engine never asks for less than a block
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_FALSE(plan[0].prefill);
}

TEST(Scheduler, PromptBlocksAtAdmissionThenOneBlockAtATimeAsItDecodes) {
  Scheduler s(small());
  s.add(1, 6, 13);
  s.admit_all();
  EXPECT_EQ(s.blocks_of(1).size(), 2u);  // the prompt's, not prompt + max_tokens
  EXPECT_EQ(s.n_used_blocks(), 2);
  EXPECT_EQ(s.n_free_blocks(), 8);
  std::vector<size_t> sizes;
  for (int i = 0; i < 4; ++i) {  // prompt, then decodes at positions 6, 7, 8
    EXPECT_TRUE(s.grow().empty());
    const auto plan = s.plan();
    s.ensure_blocks(1, plan[0].pos0 + plan[0].n_tokens);
    s.complete(plan);
    sizes.push_back(s.blocks_of(1).size());
  }
  // Position 8 (the third block) is first computed in the fourth step; grow() before it
  // allocated the block.
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 2, 3}));
  EXPECT_THROW(s.ensure_blocks(1, 13), std::logic_error);  // planned past its blocks
  s.remove(1);
  EXPECT_EQ(s.n_used_blocks(), 0);
  EXPECT_EQ(s.n_free_blocks(), 10);
}

// Drafted tokens take blocks only while more than the watermark is free, never past prompt +
// max_tokens, and never preempt anyone: 10 blocks of 4, watermark 1.
TEST(Scheduler, DraftsTakeOnlyBlocksFreeBeyondTheWatermark) {
  Scheduler s(small());
  s.add(1, 6, 40);   // 2 prompt blocks
  s.add(2, 20, 24);  // 5 prompt blocks
  EXPECT_EQ(s.admit_all(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(s.n_free_blocks(), 3);
  // Sequence 1 asks room for 12 more positions past its 8: two blocks come, the third is the
  // watermark's.
  EXPECT_EQ(s.extend_for_draft(1, 20), 16);
  EXPECT_EQ(s.n_free_blocks(), 1);
  EXPECT_EQ(s.extend_for_draft(1, 24), 16);
  EXPECT_EQ(s.n_running(), 2);  // nobody preempted
  // Never past prompt + max_tokens: sequence 2 holds its whole 24 already.
  s.remove(1);
  EXPECT_EQ(s.extend_for_draft(2, 40), 24);
  EXPECT_EQ(s.extend_for_draft(3, 8), 0);  // not running
}

// Runs sequence `id` over `tokens` to the end and publishes its full blocks, as the engine does.
void run_and_publish(Scheduler& s, uint64_t id, const std::vector<int32_t>& tokens) {
  const auto table = s.ensure_blocks(id, static_cast<int64_t>(tokens.size()));
  const int64_t bs = s.config().block_size;
  uint64_t parent = BlockManager::kRootHash;
  for (size_t b = 0; (b + 1) * bs <= tokens.size(); ++b) {
    const auto chunk = std::span<const int32_t>(tokens).subspan(b * bs, bs);
    const uint64_t h = BlockManager::chain_hash(parent, chunk);
    s.block_manager().publish(table[b], parent, h, chunk);
    parent = h;
  }
}

std::vector<int32_t> iota_tokens(int n, int first = 100) {
  std::vector<int32_t> t(n);
  std::iota(t.begin(), t.end(), first);
  return t;
}

TEST(Scheduler, ReusesPublishedPrefixBlocksOfAFinishedSequence) {
  Scheduler s(small());
  const auto prompt = iota_tokens(10);
  s.add(1, 10, 10);
  s.admit_all();
  run_and_publish(s, 1, prompt);
  const std::vector<int32_t> first_two(s.blocks_of(1).begin(), s.blocks_of(1).begin() + 2);
  s.remove(1);
  EXPECT_EQ(s.block_manager().n_cached(), 2);  // the two full blocks; the partial one is free
  EXPECT_EQ(s.n_used_blocks(), 0);

  auto next = prompt;
  next[9] = 7;  // differs in the third block only
  s.add(2, 10, 12);
  const PrefixMatch m = s.block_manager().match(next, 9);
  EXPECT_EQ(m.blocks, first_two);
  ASSERT_TRUE(s.admit(2, m));
  EXPECT_EQ(s.n_reused(2), 8);
  const auto plan = s.plan();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].pos0, 8);
  EXPECT_EQ(plan[0].n_tokens, 2);
  EXPECT_EQ(s.block_manager().n_cached(), 0);
  EXPECT_EQ(s.n_used_blocks(), 3);  // 2 reused, 1 new for the prompt's last 2 tokens
  EXPECT_EQ(s.n_free_blocks(), 10 - 3);
}

TEST(Scheduler, TheLastPromptTokenIsAlwaysComputed) {
  Scheduler s(small());
  const auto prompt = iota_tokens(8);
  s.add(1, 8, 8);
  s.admit_all();
  run_and_publish(s, 1, prompt);
  s.remove(1);
  s.add(2, 8, 9);
  // Even a caller matching the whole prompt gets only the blocks before its last token.
  ASSERT_TRUE(s.admit(2, s.block_manager().match(prompt, 8)));
  EXPECT_EQ(s.n_reused(2), 4);
  EXPECT_EQ(s.plan()[0].pos0, 4);
}

TEST(Scheduler, RunningSequencesShareBlocks) {
  Scheduler s(small());
  const auto prompt = iota_tokens(9);
  s.add(1, 9, 9);
  s.admit_all();
  run_and_publish(s, 1, prompt);
  s.add(2, 9, 12);
  const PrefixMatch m = s.block_manager().match(prompt, 8);
  ASSERT_EQ(m.blocks.size(), 2u);
  ASSERT_TRUE(s.admit(2, m));
  EXPECT_EQ(s.block_manager().ref_count(m.blocks[0]), 2);
  EXPECT_EQ(s.n_used_blocks(), 4);  // shared blocks count once; 2's prompt has a third block
  s.remove(1);
  EXPECT_EQ(s.block_manager().ref_count(m.blocks[0]), 1);  // still in use by 2
  EXPECT_EQ(s.n_used_blocks(), 3);
}

TEST(Scheduler, RevivingCachedBlocksCountsAgainstAdmission) {
  SchedulerConfig c = small();
  c.n_blocks = 4;
  Scheduler s(c);
  const auto prompt = iota_tokens(12);
  s.add(1, 12, 12);
  s.admit_all();
  run_and_publish(s, 1, prompt);
  s.remove(1);
  EXPECT_EQ(s.block_manager().n_cached(), 3);
  // 2's prompt needs 3 blocks, 2 of them reused: it takes the 2 cached ones plus the free one.
  // 3 then needs 1 block plus the watermark and must wait.
  s.add(2, 9, 16);
  s.add(3, 2, 8);
  ASSERT_TRUE(s.admit(2, s.block_manager().match(prompt, 8)));
  EXPECT_EQ(s.n_free_blocks(), 1);  // the third cached block
  EXPECT_FALSE(s.admit(3));
  // 2 computes its prompt's last token, then decodes positions 9, 10, 11; the block for
  // position 12 evicts the third cached block.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(s.grow().empty());
    s.complete(s.plan());
  }
  EXPECT_EQ(s.blocks_of(2).size(), 4u);
  EXPECT_EQ(s.block_manager().n_cached(), 0);
}

TEST(Scheduler, AdmitsByTheBlocksNeededNowNotByMaxTokens) {
  // Each request may grow to the whole pool (prompt + max_tokens = 40 tokens = 10 blocks); each
  // prompt needs 1 block now. Reserving max_tokens would run them one at a time.
  Scheduler s(small());
  EXPECT_EQ(s.add(1, 4, 40), Scheduler::Admission::kQueued);
  EXPECT_EQ(s.add(2, 4, 40), Scheduler::Admission::kQueued);
  EXPECT_EQ(s.admit_all(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(s.n_used_blocks(), 2);
  // Beyond the whole pool it can never finish: refused, not clamped.
  EXPECT_EQ(s.add(3, 4, 41), Scheduler::Admission::kTooLarge);
}

TEST(Scheduler, TheWatermarkKeepsBlocksForTheRunningOnly) {
  SchedulerConfig c = small();
  c.watermark_blocks = 3;
  Scheduler s(c);
  s.add(1, 28, 40);  // 7 blocks: admitted alone although only 3 stay free
  s.add(2, 4, 8);    // 1 block + 3 kept free > 3
  EXPECT_EQ(s.admit_all(), (std::vector<uint64_t>{1}));
  EXPECT_EQ(s.n_free_blocks(), 3);
  s.remove(1);
  EXPECT_EQ(s.admit_all(), (std::vector<uint64_t>{2}));
  // The default is 1% of the pool, at least one block.
  SchedulerConfig d;
  d.n_blocks = 1000;
  EXPECT_EQ(Scheduler(d).watermark_blocks(), 10);
  d.n_blocks = 50;
  EXPECT_EQ(Scheduler(d).watermark_blocks(), 1);
}

// The engine's side of the protocol: admit, grow, plan, run, and finish a sequence once it has
// sampled its last token (after computing position n_total - 2).
struct Sim {
  explicit Sim(SchedulerConfig c) : s(c) {}
  Scheduler s;
  std::map<uint64_t, int64_t> n_total;
  std::vector<uint64_t> finished, preempted;
  int64_t steps = 0;

  void add(uint64_t id, int64_t n_prompt, int64_t total) {
    ASSERT_EQ(s.add(id, n_prompt, total), Scheduler::Admission::kQueued);
    n_total[id] = total;
  }
  void step() {
    s.admit_all();
    for (uint64_t id : s.grow()) preempted.push_back(id);
    const auto plan = s.plan();
    for (const auto& slice : plan) s.ensure_blocks(slice.id, slice.pos0 + slice.n_tokens);
    s.complete(plan);
    for (const auto& slice : plan)
      if (slice.pos0 + slice.n_tokens >= n_total[slice.id] - 1) {
        s.remove(slice.id);
        finished.push_back(slice.id);
      }
    ++steps;
  }
};

TEST(Scheduler, PreemptsTheNewestAndRequeuesItFirstWithItsGeneratedTokens) {
  SchedulerConfig c = small();
  c.max_running = 3;
  c.max_waiting = 4;
  c.n_blocks = 4;
  c.step_token_budget = 16;
  Sim sim(c);
  sim.add(1, 4, 16);
  sim.add(2, 4, 16);
  sim.add(3, 2, 8);
  sim.add(4, 1, 4);
  sim.step();  // 1, 2 and 3 are admitted (1 block each) and prefill; 4 has no slot
  EXPECT_EQ(sim.s.n_running(), 3);
  EXPECT_EQ(sim.s.n_free_blocks(), 1);
  // 1 takes the last free block for position 4; 2 needs one too: 3, the newest, is preempted.
  EXPECT_EQ(sim.s.grow(), (std::vector<uint64_t>{3}));
  EXPECT_EQ(sim.s.n_preemptions(), 1);
  EXPECT_EQ(sim.s.blocks_of(1).size(), 2u);
  EXPECT_EQ(sim.s.blocks_of(2).size(), 2u);
  EXPECT_FALSE(sim.s.is_running(3));
  EXPECT_EQ(sim.s.next_to_admit(), 3u);  // ahead of 4, which was queued before it was preempted
  EXPECT_EQ(sim.s.n_waiting(), 2);
  // Re-admitted, 3 prefills its 2 prompt tokens and the token it sampled: 3 tokens.
  sim.s.remove(2);
  ASSERT_TRUE(sim.s.admit(3));
  EXPECT_EQ(sim.s.n_prefill(3), 3);
  const auto plan = sim.s.plan();
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[1].id, 3u);
  EXPECT_TRUE(plan[1].prefill);
  EXPECT_EQ(plan[1].pos0, 0);
  EXPECT_EQ(plan[1].n_tokens, 3);
}

TEST(Scheduler, ASequenceThatCannotGrowPreemptsItselfWhenItIsTheNewest) {
  SchedulerConfig c = small();
  c.n_blocks = 3;
  c.watermark_blocks = 0;
  c.step_token_budget = 16;
  Sim sim(c);
  sim.add(1, 5, 12);  // 2 blocks; position 5 is in its second block
  sim.add(2, 4, 12);  // 1 block; position 4 needs a second one
  sim.step();
  EXPECT_EQ(sim.s.n_free_blocks(), 0);
  EXPECT_EQ(sim.s.grow(), (std::vector<uint64_t>{2}));
  EXPECT_TRUE(sim.s.is_running(1));
  EXPECT_EQ(sim.s.n_free_blocks(), 1);
}

TEST(Scheduler, APoolFarSmallerThanTheSumOfMaxTokensServesEveryoneOldestFirst) {
  // 8 sequences that each grow to 40 tokens (10 blocks) in a pool of 20 blocks.
  SchedulerConfig c = small();
  c.max_running = 8;
  c.max_waiting = 8;
  c.n_blocks = 20;
  c.step_token_budget = 64;
  Sim sim(c);
  for (uint64_t id = 1; id <= 8; ++id) sim.add(id, 4, 40);
  sim.step();
  EXPECT_EQ(sim.s.n_running(), 8);  // all admitted at once: 8 prompt blocks, 12 free
  while (sim.finished.size() < 8 && sim.steps < 10000) {
    // Admission is FIFO and the preempted go back to the front, so the oldest running sequence
    // is the one with the smallest id; it is never preempted.
    uint64_t oldest = 0;
    for (uint64_t id = 8; id >= 1; --id)
      if (sim.s.is_running(id)) oldest = id;
    const size_t n_preempted = sim.preempted.size();
    sim.step();
    for (size_t i = n_preempted; i < sim.preempted.size(); ++i)
      EXPECT_NE(sim.preempted[i], oldest) << "step " << sim.steps;
  }
  EXPECT_EQ(sim.finished, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_GT(sim.s.n_preemptions(), 0);
  EXPECT_EQ(sim.s.n_used_blocks(), 0);
  EXPECT_EQ(sim.s.n_waiting(), 0);
}

TEST(Scheduler, RemoveFromQueue) {
  Scheduler s(small());
  s.add(1, 1, 1);
  s.remove(1);
  s.remove(99);
  EXPECT_EQ(s.n_waiting(), 0);
  EXPECT_TRUE(s.plan().empty());
}

}  // namespace
}  // namespace junction
