#include "engine/scheduler.h"

#include <gtest/gtest.h>

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
  return c;
}

TEST(Scheduler, AdmitsFifoWithinSlotsAndBlocks) {
  Scheduler s(small());
  EXPECT_EQ(s.add(1, 4, 8), Scheduler::Admission::kQueued);    // 2 blocks
  EXPECT_EQ(s.add(2, 10, 20), Scheduler::Admission::kQueued);  // 5 blocks
  EXPECT_EQ(s.add(3, 1, 2), Scheduler::Admission::kQueued);
  EXPECT_EQ(s.admit_all(), (std::vector<uint64_t>{1, 2}));  // slots: 2
  EXPECT_EQ(s.n_free_blocks(), 3);                          // promised, not yet allocated
  EXPECT_EQ(s.n_used_blocks(), 0);
  EXPECT_EQ(s.n_waiting(), 1);
  s.remove(1);
  EXPECT_EQ(s.n_free_blocks(), 5);
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
  s.add(1, 20, 32);  // 8 blocks
  s.add(2, 12, 16);  // 4 blocks: does not fit beside 1
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

TEST(Scheduler, BlocksAreAllocatedAsTheSequenceGrowsWithinItsPromise) {
  Scheduler s(small());
  s.add(1, 6, 9);  // 3 blocks promised
  s.admit_all();
  EXPECT_EQ(s.ensure_blocks(1, 6).size(), 2u);
  EXPECT_EQ(s.n_used_blocks(), 2);
  EXPECT_EQ(s.n_free_blocks(), 7);  // 10 - 2 allocated - 1 still promised
  EXPECT_EQ(s.ensure_blocks(1, 9).size(), 3u);
  EXPECT_THROW(s.ensure_blocks(1, 13), std::logic_error);  // past prompt + max_tokens
  s.remove(1);
  EXPECT_EQ(s.n_used_blocks(), 0);
  EXPECT_EQ(s.n_free_blocks(), 10);
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
  EXPECT_EQ(s.n_used_blocks(), 2);
  EXPECT_EQ(s.n_free_blocks(), 10 - 2 - 1);  // one more block promised
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
  EXPECT_EQ(s.n_used_blocks(), 3);  // shared blocks count once
  s.remove(1);
  EXPECT_EQ(s.block_manager().ref_count(m.blocks[0]), 1);  // still in use by 2
  EXPECT_EQ(s.n_used_blocks(), 2);
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
  // 2 needs 4 blocks, 2 of them reused: it takes the 2 cached ones plus 2 new (evicting the
  // third cached block). 3 then needs 2 blocks and must wait.
  s.add(2, 9, 16);
  s.add(3, 2, 8);
  ASSERT_TRUE(s.admit(2, s.block_manager().match(prompt, 8)));
  EXPECT_EQ(s.n_free_blocks(), 0);
  EXPECT_FALSE(s.admit(3));
  s.ensure_blocks(2, 16);
  EXPECT_EQ(s.block_manager().n_cached(), 0);  // the third was evicted for 2's growth
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
