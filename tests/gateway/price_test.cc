#include "gateway/price.h"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>

#include "core/error.h"

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

TEST(Price, CostsOutsideInt64AreNulloptNotWrapped) {
  constexpr int64_t kMax = INT64_MAX;
  const Price p{1.0, 2.0};  // 1000 and 2000 nano-USD a token
  EXPECT_EQ(worst_case_cost(p, 0, kMax), std::nullopt);
  EXPECT_EQ(worst_case_cost(p, kMax, 0), std::nullopt);
  EXPECT_EQ(worst_case_cost(p, 0, kMax / 2000), kMax / 2000 * 2000);  // the largest that fits
  EXPECT_EQ(worst_case_cost(Price{}, kMax, kMax), 0);                 // free is free, however much
  EXPECT_EQ(cost_of(p, {kMax, kMax, 0, 0}), std::nullopt);
  EXPECT_EQ(cost_of(p, {-1000, 0, 0, 0}), std::nullopt);  // never a negative cost: a credit
  EXPECT_EQ(cost_of(p, {0, -1, 0, 0}), std::nullopt);
  EXPECT_EQ(cost_of(Price{1e300, 1}, {1, 0, 0, 0}), std::nullopt);
}

TEST(Price, WorstCaseCountsACachedPriceAboveTheInputPrice) {
  const Price p{1.0, 0, 3.0};  // a cached price above the input price (config allows it)
  EXPECT_EQ(worst_case_cost(p, 10, 0), 30'000);
  EXPECT_GE(worst_case_cost(p, 10, 0), cost_of(p, {10, 0, 0, 10}));
}

TEST(Price, UsdConversions) {
  EXPECT_EQ(usd_to_nano(1.5), 1'500'000'000);
  // An amount that does not fit is an error, never a silent 0.
  EXPECT_THROW(usd_to_nano(1e20), Error);
  EXPECT_THROW(usd_to_nano(std::nan("")), Error);
  EXPECT_EQ(usd_to_nano_checked(0.0002), 200'000);
  EXPECT_EQ(usd_to_nano_checked(1e10), std::nullopt);  // over int64 nano-USD
  EXPECT_EQ(usd_to_nano_checked(-1e10), std::nullopt);
  EXPECT_EQ(usd_to_nano_checked(std::nan("")), std::nullopt);
  EXPECT_EQ(usd_to_nano_checked(INFINITY), std::nullopt);
  EXPECT_DOUBLE_EQ(nano_to_usd(250), 2.5e-7);
}

}  // namespace
}  // namespace junction::gateway
