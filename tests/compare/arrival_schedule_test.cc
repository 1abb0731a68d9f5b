// Poisson arrivals from a seeded mt19937_64 (whose output the C++ standard fixes) and the
// sweep lists of the command line.
#include "compare/arrival_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "core/error.h"

namespace junction::compare {
namespace {

TEST(Arrivals, FirstGapIsMinusLogOfTheFirstUniformOverTheRate) {
  // mt19937_64's first output for the default seed 5489 is 14514284786278117030 (the standard
  // only pins the 10000th, 9981545732273789042, checked below).
  const double u = static_cast<double>(14514284786278117030ull >> 11) / 9007199254740992.0;
  const std::vector<double> at = poisson_arrivals(3, 2.0, 5489);
  ASSERT_EQ(at.size(), 3u);
  EXPECT_DOUBLE_EQ(at[0], -std::log1p(-u) / 2.0);
  EXPECT_LT(at[0], at[1]);
  EXPECT_LT(at[1], at[2]);
  std::mt19937_64 rng(5489);
  rng.discard(9999);
  EXPECT_EQ(rng(), 9981545732273789042ull);
}

TEST(Arrivals, SameSeedSameScheduleAndTheMeanGapIsOneOverTheRate) {
  EXPECT_EQ(poisson_arrivals(50, 4.0, 7), poisson_arrivals(50, 4.0, 7));
  EXPECT_NE(poisson_arrivals(50, 4.0, 7), poisson_arrivals(50, 4.0, 8));
  const std::vector<double> at = poisson_arrivals(20000, 4.0, 1);
  EXPECT_NEAR(at.back() / 20000, 0.25, 0.25 * 0.03);  // within 3% (sd of the mean is 0.7%)
}

TEST(Arrivals, InfiniteRateSendsEverythingAtOnce) {
  EXPECT_EQ(poisson_arrivals(3, std::numeric_limits<double>::infinity(), 0),
            (std::vector<double>{0, 0, 0}));
  EXPECT_TRUE(poisson_arrivals(0, 1.0, 0).empty());
}

TEST(UnitInterval, UsesTheTop53Bits) {
  EXPECT_EQ(unit_interval(0), 0.0);
  EXPECT_LT(unit_interval(~0ull), 1.0);
  EXPECT_EQ(unit_interval(1ull << 63), 0.5);
}

TEST(Sweep, ParsesListsAndRefusesNonsense) {
  EXPECT_EQ(parse_sweep("1,4,16", false, "--concurrency"), (std::vector<double>{1, 4, 16}));
  const auto rates = parse_sweep("0.5,inf", true, "--request-rate");
  ASSERT_EQ(rates.size(), 2u);
  EXPECT_EQ(rates[0], 0.5);
  EXPECT_TRUE(std::isinf(rates[1]));
  for (const char* bad : {"0", "-1", "x", "4x", ""})
    EXPECT_THROW(parse_sweep(bad, true, "--request-rate"), Error) << bad;
  EXPECT_THROW(parse_sweep("inf", false, "--concurrency"), Error);
}

}  // namespace
}  // namespace junction::compare
