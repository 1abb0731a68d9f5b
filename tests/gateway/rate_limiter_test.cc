#include "gateway/rate_limiter.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

TEST(RateLimiter, RpmBucketRefillsContinuously) {
  RateLimiter r;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(r.acquire("k", 3, 0, 0, 0).allowed);
  const RateDecision d = r.acquire("k", 3, 0, 0, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, "rpm");
  EXPECT_EQ(d.retry_after_ms, 20000);  // one request per 20 s at 3 rpm
  EXPECT_FALSE(r.acquire("k", 3, 0, 0, 19999).allowed);
  EXPECT_TRUE(r.acquire("k", 3, 0, 0, 20000).allowed);
  EXPECT_TRUE(r.acquire("other", 3, 0, 0, 0).allowed);  // per key
}

TEST(RateLimiter, TpmTakesEstimatesAndGivesBackTheUnused) {
  RateLimiter r;
  EXPECT_TRUE(r.acquire("k", 0, 1000, 800, 0).allowed);
  RateDecision d = r.acquire("k", 0, 1000, 300, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, "tpm");
  EXPECT_EQ(d.retry_after_ms, 6000);    // 100 tokens at 1000/min
  r.adjust_tokens("k", 1000, -500, 0);  // used 300 of 800
  EXPECT_TRUE(r.acquire("k", 0, 1000, 300, 0).allowed);
}

TEST(RateLimiter, RequestLargerThanAMinuteIsRefused) {
  RateLimiter r;
  const RateDecision d = r.acquire("k", 0, 100, 101, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ms, 60000);
}

TEST(RateLimiter, RefusedTpmDoesNotSpendARequest) {
  RateLimiter r;
  EXPECT_FALSE(r.acquire("k", 1, 10, 50, 0).allowed);
  EXPECT_TRUE(r.acquire("k", 1, 10, 5, 0).allowed);
}

}  // namespace
}  // namespace junction::gateway
