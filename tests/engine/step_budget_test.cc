// The step budget's arithmetic: step time ~ decode step + prompt tokens x time per prompt token,
// both learned as EWMAs of what the engine observed; the budget is what fits the target.
#include "engine/step_budget.h"

#include <gtest/gtest.h>

#include <limits>

namespace junction {
namespace {

StepBudgetConfig config(double target_s, double weight = 1.0) {
  return {.target_s = target_s, .min_chunk = 16, .max_tokens = 512, .ewma_weight = weight};
}

TEST(StepBudget, FullBudgetUntilAPromptTokenWasTimed) {
  StepBudget b(config(0.2));
  EXPECT_EQ(b.prefill_budget(), 512);
  b.observe(4, 0, 0.05);
  EXPECT_EQ(b.prefill_budget(), 512);  // decodes alone say nothing of prompt tokens
  EXPECT_DOUBLE_EQ(b.decode_step_s(), 0.05);
}

TEST(StepBudget, FitsTheTargetAfterTheDecodeStep) {
  StepBudget b(config(0.2));
  b.observe(4, 0, 0.05);
  b.observe(4, 100, 0.25);  // 0.2 s more than a decode step for 100 tokens: 2 ms each
  EXPECT_DOUBLE_EQ(b.prefill_token_s(), 0.002);
  EXPECT_EQ(b.prefill_budget(), 75);  // (0.2 - 0.05) / 0.002
  b.observe(0, 512, 0.512);           // prompt-only step: 1 ms a token
  EXPECT_EQ(b.prefill_budget(), 150);
  b.observe(0, 512, 0.0512);  // a faster machine: clamped to the step budget
  EXPECT_EQ(b.prefill_budget(), 512);
}

TEST(StepBudget, NeverBelowOneChunkAndOffWhenTheTargetIsZero) {
  StepBudget slow(config(0.2));
  slow.observe(8, 0, 0.3);   // decoding alone exceeds the target: prompts get as long again
  slow.observe(8, 20, 0.5);  // 10 ms a token
  EXPECT_EQ(slow.prefill_budget(), 30);
  slow.observe(8, 20, 2.3);  // 100 ms a token: 3 fit, but a chunk is never below 16
  EXPECT_EQ(slow.prefill_budget(), 16);
  StepBudget off(config(0));
  off.observe(8, 0, 0.3);
  off.observe(8, 16, 0.5);
  EXPECT_EQ(off.prefill_budget(), 512);
}

TEST(StepBudget, EwmaMovesTowardNewStepsAndIgnoresNonsense) {
  StepBudget b(config(0.2, 0.5));
  b.observe(1, 0, 0.04);
  b.observe(1, 0, 0.08);
  EXPECT_DOUBLE_EQ(b.decode_step_s(), 0.06);
  b.observe(1, 0, -1);
  b.observe(1, 0, std::numeric_limits<double>::quiet_NaN());
  EXPECT_DOUBLE_EQ(b.decode_step_s(), 0.06);
  b.observe(1, 10, 0.01);  // faster than a decode step (noise): counted as free, not negative
  EXPECT_DOUBLE_EQ(b.prefill_token_s(), 0.0);
  EXPECT_EQ(b.prefill_budget(), 512);
}

}  // namespace
}  // namespace junction
