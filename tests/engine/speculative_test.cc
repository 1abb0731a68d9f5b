// Speculative decoding's pure parts: the accept/reject rule against hand-worked values and, over
// many seeded draws, against the target's distribution (with a check that a known wrong rule
// fails the same bound); the adaptive draft length step by step; prompt-lookup drafting.
#include "engine/speculative.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/drafter_ngram.h"

namespace junction {
namespace {

using Dist = std::vector<std::pair<float, int32_t>>;

TEST(SpeculativeChoice, HandWorked) {
  // p = (0.5, 0.3, 0.2); q = (0.25, 0.75, 0). Draft 1: keep with p/q = 0.4. Residual
  // max(0, p - q) = (0.25, 0, 0.2), mass 0.45: u_resample 0.5 -> 0.225 -> token 0; 0.6 -> 0.27 ->
  // token 2.
  const Dist p = {{0.5f, 0}, {0.3f, 1}, {0.2f, 2}};
  const std::vector<float> q = {0.25f, 0.75f, 0.0f};
  EXPECT_TRUE(speculative_choice(p, q, 1, 0.39, 0.5).accepted);
  EXPECT_EQ(speculative_choice(p, q, 1, 0.39, 0.5).token, 1);
  EXPECT_FALSE(speculative_choice(p, q, 1, 0.41, 0.5).accepted);
  EXPECT_EQ(speculative_choice(p, q, 1, 0.41, 0.5).token, 0);
  EXPECT_EQ(speculative_choice(p, q, 1, 0.41, 0.6).token, 2);
  // Draft 0: p >= q, always kept.
  EXPECT_TRUE(speculative_choice(p, q, 0, 0.999, 0.9).accepted);
  // A draft the target rules out (filtered away: not in p) is never kept.
  const Dist only0 = {{1.0f, 0}};
  const std::vector<float> half = {0.5f, 0.5f};
  EXPECT_FALSE(speculative_choice(only0, half, 1, 0.0, 0.3).accepted);
  EXPECT_EQ(speculative_choice(only0, half, 1, 0.0, 0.3).token, 0);
}

// Total variation between the emitted tokens' frequencies over n draws and p.
double total_variation(const std::vector<int64_t>& counts, const std::vector<double>& p, int n) {
  double tv = 0;
  for (size_t i = 0; i < p.size(); ++i) tv += std::abs(counts[i] / double(n) - p[i]);
  return tv / 2;
}

TEST(SpeculativeChoice, EmitsTheTargetDistribution) {
  const std::vector<double> p = {0.35, 0.25, 0.15, 0.12, 0.08, 0.05};
  const std::vector<float> q = {0.05f, 0.10f, 0.30f, 0.25f, 0.20f, 0.10f};
  Dist pd;
  for (size_t i = 0; i < p.size(); ++i) pd.emplace_back(static_cast<float>(p[i]), int32_t(i));
  constexpr int kDraws = 200000;
  // Each cell's frequency has standard deviation <= 0.5/sqrt(n) ~ 0.0011, so the total variation
  // of a correct rule stays well under 6 * 0.0011 * 6 / 2 ~ 0.02 (and is ~0.002 in practice);
  // the bound is 0.01. The wrong rule below (resample from p instead of the residual) is off by
  // 0.18 in total variation (worked by hand: min(p,q) + 0.45 p vs p).
  constexpr double kBound = 0.01;
  std::mt19937_64 rng(1234);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::discrete_distribution<int32_t> draft_of(q.begin(), q.end());
  std::discrete_distribution<int32_t> from_p(p.begin(), p.end());
  std::vector<int64_t> good(p.size()), wrong(p.size());
  int64_t n_accepted = 0;
  for (int i = 0; i < kDraws; ++i) {
    const int32_t d = draft_of(rng);
    const SpeculativeChoice c = speculative_choice(pd, q, d, u(rng), u(rng));
    ++good[c.token];
    n_accepted += c.accepted;
    // Wrong: accept with min(1, p/q), else draw from p.
    const int32_t w = u(rng) * q[d] < p[d] ? d : from_p(rng);
    ++wrong[w];
  }
  EXPECT_LT(total_variation(good, p, kDraws), kBound);
  EXPECT_GT(total_variation(wrong, p, kDraws), kBound);
  // The acceptance rate is sum(min(p, q)) = 0.55.
  EXPECT_NEAR(n_accepted / double(kDraws), 0.55, 0.01);
}

TEST(SpeculativeChoice, PointMassDraftIsADrawFromP) {
  // q = a point mass on the draft: kept with probability p(d), else p without d.
  const Dist p = {{0.6f, 0}, {0.3f, 1}, {0.1f, 2}};
  std::vector<float> q = {0, 1, 0};
  EXPECT_TRUE(speculative_choice(p, q, 1, 0.29, 0.0).accepted);
  EXPECT_FALSE(speculative_choice(p, q, 1, 0.31, 0.0).accepted);
  // Residual (0.6, 0, 0.1) / 0.7: 0.8 -> 0.56 -> token 0; 0.9 -> 0.63 -> token 2.
  EXPECT_EQ(speculative_choice(p, q, 1, 0.31, 0.8).token, 0);
  EXPECT_EQ(speculative_choice(p, q, 1, 0.31, 0.9).token, 2);
}

TEST(DraftLength, GrowsOnHitsShrinksOnMisses) {
  DraftLength l(DraftLengthConfig{.max_length = 8, .start_length = 4});
  EXPECT_EQ(l.next(), 4);
  l.observe(4, 4);  // all kept: double
  EXPECT_EQ(l.next(), 8);
  EXPECT_NEAR(l.rate(), 0.7 * 0.5 + 0.3 * 1.0, 1e-12);
  l.observe(8, 8);  // capped at max
  EXPECT_EQ(l.next(), 8);
  l.observe(8, 2);  // cut short: one more than kept
  EXPECT_EQ(l.next(), 3);
  l.observe(3, 0);
  EXPECT_EQ(l.next(), 1);
}

TEST(DraftLength, PausesWhenAcceptanceIsLowThenGivesUp) {
  DraftLengthConfig c;
  c.max_length = 8;
  c.start_length = 4;
  c.pause_steps = 4;
  c.max_pauses = 1;
  DraftLength l(c);
  // Rate 0.5 -> 0.35 -> 0.245 (< 0.3): the second miss pauses.
  EXPECT_EQ(l.next(), 4);
  l.observe(4, 0);
  EXPECT_EQ(l.next(), 1);
  l.observe(1, 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(l.next(), 0) << i;
  EXPECT_EQ(l.next(), 1);  // the pause (4 steps) is over: probe with one token
  EXPECT_NEAR(l.rate(), 0.4, 1e-12);
  l.observe(1, 0);  // 0.28: the second pause exceeds max_pauses, off for good
  EXPECT_TRUE(l.off());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(l.next(), 0);
}

TEST(DraftLength, AProbeThatHitsGrowsAgain) {
  DraftLengthConfig c;
  c.pause_steps = 1;
  DraftLength l(c);
  EXPECT_EQ(l.next(), 1);  // the default first draft: one token
  l.observe(1, 0);
  l.observe(1, 0);         // 0.245: a pause of one step, over at the next call
  EXPECT_EQ(l.next(), 1);  // a one-token probe
  l.observe(1, 1);         // 0.58: hit, double
  EXPECT_EQ(l.next(), 2);
  l.observe(2, 2);
  EXPECT_EQ(l.next(), 4);
}

TEST(DraftLength, ZeroMaxNeverDrafts) {
  DraftLength l(DraftLengthConfig{.max_length = 0});
  EXPECT_EQ(l.next(), 0);
}

TEST(NgramDrafter, ProposesWhatFollowedTheLatestMatch) {
  NgramDrafter d;
  Draft out;
  const std::vector<int32_t> a = {1, 2, 3, 4, 9, 2, 3, 5, 1, 2, 3};
  // Longest suffix first: [1 2 3] occurs at 0, followed by 4 9 2.
  d.propose(a, 3, out);
  EXPECT_EQ(out.tokens, (std::vector<int32_t>{4, 9, 2}));
  EXPECT_TRUE(out.q.empty());
  // [7 8] has no earlier occurrence, [8] neither: nothing.
  d.propose(std::vector<int32_t>{7, 8}, 4, out);
  EXPECT_TRUE(out.tokens.empty());
  // Only the 1-gram [3] matches, the latest occurrence (index 6) wins: 5 1.
  d.propose(std::vector<int32_t>{3, 4, 0, 3, 5, 1, 3, 5, 1, 7, 3}, 2, out);
  EXPECT_EQ(out.tokens, (std::vector<int32_t>{5, 1}));
}

TEST(NgramDrafter, ALoopShorterThanTheDraftIsProposedWhole) {
  NgramDrafter d;
  Draft out;
  d.propose(std::vector<int32_t>{5, 7, 8, 7, 8}, 5, out);
  EXPECT_EQ(out.tokens, (std::vector<int32_t>{7, 8, 7, 8, 7}));
  d.propose(std::vector<int32_t>{5, 7, 7}, 3, out);
  EXPECT_EQ(out.tokens, (std::vector<int32_t>{7, 7, 7}));
}

}  // namespace
}  // namespace junction
