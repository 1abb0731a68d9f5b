// Sampling rules checked against their definitions: greedy is argmax (first on ties), seeds
// reproduce, top-k / top-p / min-p keep exactly the tokens their definitions keep, penalties
// follow HF (repetition) and OpenAI (presence, frequency).
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "engine/sampler.h"

namespace junction {
namespace {

std::vector<int32_t> draw(SamplingParams p, const std::vector<float>& logits, int n) {
  Sampler s(p, {});
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) {
    auto copy = logits;
    out.push_back(s.sample(copy));
  }
  return out;
}

TEST(Sampler, GreedyIsArgmaxFirstOnTies) {
  SamplingParams p;
  p.temperature = 0;
  EXPECT_EQ(draw(p, {1, 3, 3, 2}, 1)[0], 1);
  p.temperature = 0.7f;
  p.top_k = 1;
  EXPECT_EQ(draw(p, {1, 3, 2, 3}, 5), (std::vector<int32_t>(5, 1)));
}

TEST(Sampler, SameSeedSameTokensOtherSeedOtherTokens) {
  const std::vector<float> logits(50, 0.0f);  // uniform
  SamplingParams p;
  p.seed = 42;
  const auto a = draw(p, logits, 64);
  EXPECT_EQ(a, draw(p, logits, 64));
  p.seed = 43;
  EXPECT_NE(a, draw(p, logits, 64));
}

TEST(Sampler, TopKTopPMinPKeepWhatTheirDefinitionsKeep) {
  // Probabilities at temperature 1: softmax(log p) = p.
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f),
                                     std::log(0.05f)};
  SamplingParams p;
  p.seed = 7;
  p.top_k = 2;
  for (int32_t t : draw(p, logits, 300)) EXPECT_LT(t, 2);
  p.top_k = 0;
  p.top_p = 0.79f;  // 0.5 + 0.3 = 0.8 is the smallest prefix reaching 0.79
  std::set<int32_t> seen;
  for (int32_t t : draw(p, logits, 300)) seen.insert(t);
  EXPECT_EQ(seen, (std::set<int32_t>{0, 1}));
  p.top_p = 1.0f;
  p.min_p = 0.25f;  // keeps p >= 0.25 * 0.5 = 0.125
  seen.clear();
  for (int32_t t : draw(p, logits, 500)) seen.insert(t);
  EXPECT_EQ(seen, (std::set<int32_t>{0, 1, 2}));
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  const std::vector<float> logits = {0.0f, std::log(3.0f)};  // p = 0.25, 0.75
  SamplingParams p;
  p.seed = 1;
  int ones = 0;
  const int n = 20000;
  for (int32_t t : draw(p, logits, n)) ones += t;
  // Binomial standard deviation is sqrt(n * 0.25 * 0.75) ~ 61; allow 5 of them.
  EXPECT_NEAR(ones, 0.75 * n, 5 * 61);
}

TEST(Sampler, RepetitionPenaltyDividesPositiveMultipliesNegative) {
  SamplingParams p;
  p.temperature = 0;
  p.repetition_penalty = 2.0f;
  const std::vector<int32_t> prompt = {0, 1};
  Sampler s(p, prompt);
  std::vector<float> logits = {4.0f, -1.0f, 2.5f};
  EXPECT_EQ(s.sample(logits), 2);  // 4 / 2 = 2 < 2.5
  EXPECT_EQ(logits[0], 2.0f);
  EXPECT_EQ(logits[1], -2.0f);
}

TEST(Sampler, PresenceAndFrequencyPenaliseOutputTokensOnly) {
  SamplingParams p;
  p.temperature = 0;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  const std::vector<int32_t> prompt = {2};
  Sampler s(p, prompt);
  s.accept(0);
  s.accept(0);
  std::vector<float> logits = {1.0f, 0.0f, 0.0f};
  s.sample(logits);
  EXPECT_FLOAT_EQ(logits[0], 1.0f - 0.5f - 2 * 0.25f);
  EXPECT_EQ(logits[2], 0.0f);  // prompt tokens are not penalised
}

}  // namespace
}  // namespace junction
