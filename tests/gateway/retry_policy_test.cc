#include "gateway/retry_policy.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

TEST(RetryPolicy, FullJitterStaysUnderTheCapAndIsSeeded) {
  const RetryPolicy p{5, 10, 100};
  std::mt19937_64 a(42), b(42);
  for (int attempt = 1; attempt <= 6; ++attempt) {
    const int64_t cap = std::min<int64_t>(100, 10 << (attempt - 1));
    for (int i = 0; i < 50; ++i) {
      const int64_t x = p.backoff_ms(attempt, a);
      EXPECT_GE(x, 0);
      EXPECT_LE(x, cap);
      EXPECT_EQ(x, p.backoff_ms(attempt, b));  // same seed, same pauses
    }
  }
  EXPECT_EQ(p.backoff_ms(0, a), 0);
}

TEST(RetryPolicy, RetryableStatuses) {
  EXPECT_TRUE(retryable_status(500));
  EXPECT_TRUE(retryable_status(503));
  EXPECT_TRUE(retryable_status(429));
  EXPECT_TRUE(retryable_status(408));
  EXPECT_FALSE(retryable_status(400));
  EXPECT_FALSE(retryable_status(404));
  EXPECT_FALSE(retryable_status(401));
}

}  // namespace
}  // namespace junction::gateway
