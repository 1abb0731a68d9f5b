// choose_by_quality: every expected choice and reason below is worked by hand from the inputs.
#include "gateway/quality_router.h"

#include <gtest/gtest.h>

#include <cmath>

namespace junction::gateway {
namespace {

QualityCandidate cand(std::string model, std::optional<double> score, std::optional<NanoUsd> cost,
                      double latency_ms = -1) {
  return {std::move(model), score, cost, latency_ms};
}

TEST(QualityRouter, CheaperChosenWhenBothMeetTheBar) {
  const auto c =
      choose_by_quality({cand("good", 0.81, 2000), cand("cheap", 0.62, 200)}, {"mmlu", 0.6});
  ASSERT_TRUE(c.index);
  EXPECT_EQ(*c.index, 1u);
  EXPECT_EQ(c.reason, "cheapest meeting mmlu>=0.6 (0.62)");
}

TEST(QualityRouter, BetterChosenWhenOnlyItMeetsTheBar) {
  const auto c =
      choose_by_quality({cand("cheap", 0.62, 200), cand("good", 0.81, 2000)}, {"mmlu", 0.7});
  ASSERT_TRUE(c.index);
  EXPECT_EQ(*c.index, 1u);
  EXPECT_EQ(c.reason, "cheapest meeting mmlu>=0.7 (0.81)");
}

TEST(QualityRouter, ScoreEqualToTheBarMeetsIt) {
  const auto c = choose_by_quality({cand("a", 0.7, 5)}, {"mmlu/acc", 0.7});
  ASSERT_TRUE(c.index);
  EXPECT_EQ(*c.index, 0u);
  EXPECT_EQ(c.reason, "cheapest meeting mmlu/acc>=0.7 (0.7)");
}

TEST(QualityRouter, NoneMeetsIsAnErrorSayingWhy) {
  const auto c = choose_by_quality(
      {cand("cheap", 0.62, 200), cand("good", 0.81, 2000), cand("new", std::nullopt, 1)},
      {"mmlu", 0.9});
  EXPECT_FALSE(c.index);
  EXPECT_EQ(c.reason, "none meets mmlu>=0.9 (cheap: 0.62, good: 0.81, new: no mmlu score)");
  EXPECT_FALSE(choose_by_quality({}, {"mmlu", 0}).index);
}

TEST(QualityRouter, MissingScoreNeverQualifiesEvenWhenCheapest) {
  const auto c =
      choose_by_quality({cand("unmeasured", std::nullopt, 1), cand("b", 0.65, 100)}, {"mmlu", 0});
  ASSERT_TRUE(c.index);
  EXPECT_EQ(*c.index, 1u);
}

TEST(QualityRouter, CostOutOfRangeNeverQualifies) {
  const auto c =
      choose_by_quality({cand("huge", 0.9, std::nullopt), cand("b", 0.65, 100)}, {"mmlu", 0.6});
  ASSERT_TRUE(c.index);
  EXPECT_EQ(*c.index, 1u);
  const auto none = choose_by_quality({cand("huge", 0.9, std::nullopt)}, {"mmlu", 0.6});
  EXPECT_EQ(none.reason, "none meets mmlu>=0.6 (huge: cost out of range)");
}

TEST(QualityRouter, NaNScoreNeverQualifies) {
  const auto c = choose_by_quality({cand("nan", std::nan(""), 1)}, {"mmlu", 0});
  EXPECT_FALSE(c.index);
}

TEST(QualityRouter, EqualCostGoesToTheHigherScore) {
  const auto c = choose_by_quality(
      {cand("a", 0.7, 100), cand("b", 0.75, 100), cand("c", 0.72, 100)}, {"mmlu", 0.6});
  ASSERT_TRUE(c.index);
  EXPECT_EQ(*c.index, 1u);
}

TEST(QualityRouter, EqualCostAndScoreGoToTheLowerMeasuredLatency) {
  // No samples counts as slowest; then the lower EWMA wins.
  const auto c = choose_by_quality(
      {cand("unsampled", 0.7, 100), cand("slow", 0.7, 100, 300), cand("fast", 0.7, 100, 120)},
      {"mmlu", 0.6});
  ASSERT_TRUE(c.index);
  EXPECT_EQ(*c.index, 2u);
  const auto sampled_beats_unsampled =
      choose_by_quality({cand("unsampled", 0.7, 100), cand("slow", 0.7, 100, 900)}, {"mmlu", 0.6});
  EXPECT_EQ(*sampled_beats_unsampled.index, 1u);
}

TEST(QualityRouter, FullTieKeepsTheEarlierCandidate) {
  const auto c =
      choose_by_quality({cand("first", 0.7, 100, 50), cand("second", 0.7, 100, 50)}, {"mmlu", 0.6});
  ASSERT_TRUE(c.index);
  EXPECT_EQ(*c.index, 0u);
}

}  // namespace
}  // namespace junction::gateway
