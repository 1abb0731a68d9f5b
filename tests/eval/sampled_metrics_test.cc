// pass@1, cons@k and pass@k over k samples per question, and the reasoning-length quantiles,
// against values worked out by hand.
#include "eval/sampled_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace junction::eval {
namespace {

SampleVerdict v(const char* key, bool correct) {
  return {key ? std::optional<std::string>(key) : std::nullopt, correct};
}

TEST(SampledMetrics, MajorityVoteSkipsUnansweredAndKeepsTheFirstOnATie) {
  const std::vector<SampleVerdict> a = {v("5", true), v("5", true), v("7", false), v(nullptr, 0)};
  const QuestionTally ta = tally_question(a);
  EXPECT_EQ(ta.n, 4);
  EXPECT_EQ(ta.correct, 2);
  EXPECT_EQ(ta.majority, "5");
  EXPECT_TRUE(ta.majority_correct);
  // 3 and 9 both twice: 3 got there first.
  const std::vector<SampleVerdict> b = {v("3", false), v("3", false), v("9", true), v("9", true)};
  EXPECT_EQ(tally_question(b).majority, "3");
  EXPECT_FALSE(tally_question(b).majority_correct);
  const std::vector<SampleVerdict> c(4, v(nullptr, false));
  EXPECT_EQ(tally_question(c).majority, std::nullopt);
  EXPECT_FALSE(tally_question(c).majority_correct);
}

TEST(SampledMetrics, PassAt1ConsAndPassAtKByHand) {
  // Three questions, k = 4: correct counts 2, 2, 0; majority right, wrong, none.
  const std::vector<QuestionTally> q = {
      {4, 2, "5", true}, {4, 2, "3", false}, {4, 0, std::nullopt, false}};
  const SampledMetrics m = sampled_metrics(q);
  EXPECT_EQ(m.k, 4);
  // pass@1: mean(0.5, 0.5, 0) = 1/3; deviations 1/6, 1/6, -1/3 -> sum of squares 1/6,
  // variance (ddof 1) 1/12, stderr sqrt(1/12 / 3) = 1/6.
  EXPECT_NEAR(m.pass_at_1.value, 1.0 / 3, 1e-12);
  EXPECT_NEAR(m.pass_at_1.stderr_value, 1.0 / 6, 1e-12);
  // cons@4: mean(1, 0, 0) = 1/3; sum of squares 2/3, variance 1/3, stderr sqrt(1/9) = 1/3.
  EXPECT_NEAR(m.cons_at_k.value, 1.0 / 3, 1e-12);
  EXPECT_NEAR(m.cons_at_k.stderr_value, 1.0 / 3, 1e-12);
  ASSERT_EQ(m.pass_at.size(), 2u);
  // pass@2 with n=4, c=2: 1 - C(2,2)/C(4,2) = 1 - 1/6 = 5/6; c=0: 0. Mean 5/9.
  EXPECT_EQ(m.pass_at[0].first, 2);
  EXPECT_NEAR(m.pass_at[0].second.value, 5.0 / 9, 1e-12);
  // pass@4: any right among all four: 1, 1, 0.
  EXPECT_EQ(m.pass_at[1].first, 4);
  EXPECT_NEAR(m.pass_at[1].second.value, 2.0 / 3, 1e-12);
}

TEST(SampledMetrics, OneSampleIsPlainAccuracy) {
  const std::vector<QuestionTally> q = {{1, 1, "1", true}, {1, 0, "2", false}};
  const SampledMetrics m = sampled_metrics(q);
  EXPECT_DOUBLE_EQ(m.pass_at_1.value, 0.5);
  EXPECT_DOUBLE_EQ(m.cons_at_k.value, 0.5);
  EXPECT_TRUE(m.pass_at.empty());
}

TEST(SampledMetrics, RefusesRaggedSampleCounts) {
  const std::vector<QuestionTally> q = {{4, 1, "1", true}, {3, 1, "1", true}};
  EXPECT_THROW(sampled_metrics(q), Error);
}

TEST(SampledMetrics, LengthQuantilesByNearestRank) {
  const LengthSummary s = summarize_lengths({4, 1, 3, 2});
  EXPECT_EQ(s.n, 4);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_DOUBLE_EQ(s.p10, 1);  // rank ceil(0.4) = 1
  EXPECT_DOUBLE_EQ(s.p50, 2);  // rank 2
  EXPECT_DOUBLE_EQ(s.p90, 4);  // rank ceil(3.6) = 4
  EXPECT_DOUBLE_EQ(s.max, 4);
  EXPECT_EQ(summarize_lengths({}).n, 0);
}

}  // namespace
}  // namespace junction::eval
