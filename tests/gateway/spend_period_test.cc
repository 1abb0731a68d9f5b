#include "gateway/spend_period.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

TEST(SpendPeriod, DaysAndMonthsSinceTheEpochInUtc) {
  EXPECT_EQ(utc_day(0), 0);
  EXPECT_EQ(utc_day(86'399'999), 0);
  EXPECT_EQ(utc_day(86'400'000), 1);
  EXPECT_EQ(utc_day(-1), -1);
  EXPECT_EQ(utc_month(0), 0);
  // 2024-02-29T23:59:59.999Z = 1709251199999 ms: month (2024 - 1970) * 12 + 1.
  EXPECT_EQ(utc_month(1709251199999), 54 * 12 + 1);
  EXPECT_EQ(utc_month(1709251200000), 54 * 12 + 2);  // 2024-03-01T00:00Z
  EXPECT_EQ(utc_day(1709251200000), 19783);
  EXPECT_EQ(utc_month(-1), -1);  // 1969-12-31
}

}  // namespace
}  // namespace junction::gateway
