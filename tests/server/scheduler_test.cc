#include "engine/scheduler.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(s.admit(), (std::vector<uint64_t>{1, 2}));  // slots: 2
  EXPECT_EQ(s.n_used_blocks(), 7);
  EXPECT_EQ(s.n_waiting(), 1);
  s.remove(1);
  EXPECT_EQ(s.n_used_blocks(), 5);
  EXPECT_EQ(s.admit(), (std::vector<uint64_t>{3}));
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
  EXPECT_EQ(s.admit(), (std::vector<uint64_t>{1}));
  EXPECT_EQ(s.blocks_short_for_next(), 2);
  s.remove(1);
  EXPECT_EQ(s.admit(), (std::vector<uint64_t>{2, 3}));
}

TEST(Scheduler, DecodesFirstThenChunkedPrefill) {
  Scheduler s(small());
  s.add(1, 2, 6);
  s.add(2, 20, 24);
  s.admit();
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

TEST(Scheduler, MaxChunkAndSkipPrefix) {
  Scheduler s(small());
  s.add(1, 12, 12, 3);
  s.admit();
  s.skip_prefix(1, 100);  // clamped: at least the last prompt token is computed
  auto plan = s.plan();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].pos0, 11);
  EXPECT_EQ(plan[0].n_tokens, 1);
  Scheduler t(small());
  t.add(1, 12, 12, 3);
  t.admit();
  EXPECT_EQ(t.plan()[0].n_tokens, 3);
}

TEST(Scheduler, HeldBlocksCountAgainstAdmission) {
  Scheduler s(small());
  EXPECT_TRUE(s.hold_blocks(8));
  EXPECT_FALSE(s.hold_blocks(3));
  s.add(1, 8, 12);  // 3 blocks
  EXPECT_TRUE(s.admit().empty());
  EXPECT_EQ(s.blocks_short_for_next(), 1);
  s.release_blocks(8);
  EXPECT_EQ(s.admit(), (std::vector<uint64_t>{1}));
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
