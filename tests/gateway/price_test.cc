#include "gateway/price.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

TEST(Price, CostInNanoUsdRoundsUp) {
  const Price p{0.05, 0.10, 0.01};                 // USD per 1e6 tokens
  EXPECT_EQ(cost_of(p, {1000, 0, 0, 0}), 50'000);  // 1000 * 0.05e-6 USD = 5e-5 USD
  EXPECT_EQ(cost_of(p, {0, 1000, 0, 0}), 100'000);
  EXPECT_EQ(cost_of(p, {1000, 1000, 0, 400}), 600 * 50 + 400 * 10 + 1000 * 100);
  EXPECT_EQ(cost_of(Price{0.0005, 0}, {1, 0, 0, 0}), 1);      // 0.5 nano-USD rounds up to 1
  EXPECT_EQ(cost_of(Price{0.1, 0.3}, {10, 10, 0, 0}), 4000);  // no 1-nano overshoot from 0.1
  EXPECT_EQ(cost_of(Price{}, {100, 100, 0, 0}), 0);
}

TEST(Price, CachedDefaultsToInputPrice) {
  const Price p{2.0, 8.0};
  EXPECT_EQ(cost_of(p, {10, 0, 0, 10}), cost_of(p, {10, 0, 0, 0}));
}

TEST(Price, WorstCaseIsPromptPlusMaxTokens) {
  const Price p{1.0, 3.0};
  EXPECT_EQ(worst_case_cost(p, 100, 50), 100 * 1000 + 50 * 3000);
  EXPECT_GE(worst_case_cost(p, 100, 50), cost_of(p, {100, 50, 0, 20}));
}

TEST(Price, UsdConversions) {
  EXPECT_EQ(usd_to_nano(1.5), 1'500'000'000);
  EXPECT_DOUBLE_EQ(nano_to_usd(250), 2.5e-7);
}

}  // namespace
}  // namespace junction::gateway
