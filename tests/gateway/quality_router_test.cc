// choose_by_quality: every expected choice and reason below is worked by hand from the inputs.
#include "gateway/quality_router.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace junction::gateway {
namespace {

QualityCandidate cand(std::string model, std::optional<double> score, std::optional<NanoUsd> cost,
                      double latency_ms = -1, double tokens_per_s = -1) {
  return {std::move(model), score, cost, latency_ms, tokens_per_s};
}

QualityBar band(std::string metric, double min_score, double within,
                LiveMeasure prefer = LiveMeasure::kLatency) {
  return {std::move(metric), min_score, within, prefer};
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

// within > 0: the candidates costing at most cheapest * (1 + within) are as good on price, and
// the live measure decides among them. cheap costs 100; 150 is inside a 50% band, 151 is not.
TEST(QualityRouter, WithinTheCostBandTheLowerLatencyWins) {
  const std::vector<QualityCandidate> cs = {cand("cheap", 0.62, 100, 300),
                                            cand("fast", 0.81, 150, 120),
                                            cand("faster-but-dear", 0.9, 151, 50)};
  const auto c = choose_by_quality(cs, band("mmlu", 0.6, 0.5));
  ASSERT_TRUE(c.index);
  EXPECT_EQ(*c.index, 1u);
  EXPECT_EQ(c.reason,
            "lowest latency (120ms) of 2 within 50% of the cheapest, meeting mmlu>=0.6 (0.81)");
  // The same candidates with no band: the cheapest, whatever the latencies.
  const auto strict = choose_by_quality(cs, band("mmlu", 0.6, 0));
  EXPECT_EQ(*strict.index, 0u);
  EXPECT_EQ(strict.reason, "cheapest meeting mmlu>=0.6 (0.62)");
  // A bar only the dear one meets: it is alone in its band.
  const auto alone = choose_by_quality(cs, band("mmlu", 0.85, 0.5));
  EXPECT_EQ(*alone.index, 2u);
  EXPECT_EQ(alone.reason, "cheapest meeting mmlu>=0.85 (0.9)");
}

TEST(QualityRouter, WithinTheCostBandTheHigherThroughputWins) {
  const std::vector<QualityCandidate> cs = {cand("cheap", 0.7, 100, 10, 40),
                                            cand("wide", 0.7, 180, 900, 95.4)};
  const auto c = choose_by_quality(cs, band("mmlu", 0.6, 1.0, LiveMeasure::kThroughput));
  EXPECT_EQ(*c.index, 1u);
  EXPECT_EQ(c.reason,
            "highest throughput (95 tok/s) of 2 within 100% of the cheapest, meeting "
            "mmlu>=0.6 (0.7)");
}

TEST(QualityRouter, InTheBandMeasuredBeatsUnmeasuredAndNoneMeasuredFallsToCost) {
  // Unmeasured counts as worst: the sampled one wins though it costs more.
  const auto c = choose_by_quality({cand("new", 0.7, 100), cand("seen", 0.7, 120, 900)},
                                   band("mmlu", 0.6, 0.5));
  EXPECT_EQ(*c.index, 1u);
  EXPECT_EQ(c.reason,
            "lowest latency (900ms) of 2 within 50% of the cheapest, meeting mmlu>=0.6 (0.7)");
  // Nothing measured: the cheapest, and the reason says why.
  const auto none = choose_by_quality({cand("dear", 0.8, 120), cand("new", 0.7, 100)},
                                      band("mmlu", 0.6, 0.5, LiveMeasure::kThroughput));
  EXPECT_EQ(*none.index, 1u);
  EXPECT_EQ(none.reason,
            "cheapest meeting mmlu>=0.6 (0.7); no throughput measured yet among 2 within 50%");
}

TEST(QualityRouter, InTheBandEqualLiveMeasuresGoToTheLowerCost) {
  const auto c = choose_by_quality({cand("dear", 0.9, 140, 100), cand("cheap", 0.7, 100, 100)},
                                   band("mmlu", 0.6, 0.5));
  EXPECT_EQ(*c.index, 1u);
}

TEST(QualityRouter, AHugeBandHoldsEveryCostWithoutOverflow) {
  const NanoUsd max = std::numeric_limits<NanoUsd>::max();
  const auto c = choose_by_quality({cand("cheap", 0.7, max / 2, 500), cand("dear", 0.7, max, 5)},
                                   band("mmlu", 0.6, 1e9));
  EXPECT_EQ(*c.index, 1u);
}

}  // namespace
}  // namespace junction::gateway
