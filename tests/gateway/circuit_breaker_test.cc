#include "gateway/circuit_breaker.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

BreakerConfig config() {
  BreakerConfig c;
  c.consecutive_failures = 3;
  c.error_rate = 0.5;
  c.window = 10;
  c.min_requests = 6;
  c.open_ms = 1000;
  c.half_open_probes = 1;
  return c;
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailures) {
  CircuitBreaker b(config());
  EXPECT_TRUE(b.allow(0));
  b.on_failure(0);
  b.on_failure(1);
  EXPECT_EQ(b.state(2), BreakerState::kClosed);
  b.on_failure(2);
  EXPECT_EQ(b.state(3), BreakerState::kOpen);
  EXPECT_FALSE(b.allow(3));
  EXPECT_FALSE(b.would_allow(999));
}

TEST(CircuitBreaker, SuccessResetsTheConsecutiveCount) {
  CircuitBreaker b(config());
  for (int i = 0; i < 3; ++i) {
    b.on_failure(i);
    b.on_success(i);
  }
  // Never two failures in a row; 3 of 6 outcomes failed, but the rate is checked on a failure.
  EXPECT_EQ(b.state(10), BreakerState::kClosed);
  b.on_failure(11);  // 4 of 7 >= 50% with min_requests 6 reached
  EXPECT_EQ(b.state(12), BreakerState::kOpen);
}

TEST(CircuitBreaker, ErrorRateNeedsMinRequests) {
  CircuitBreaker b(config());
  b.on_failure(0);
  b.on_success(0);
  b.on_failure(0);
  EXPECT_EQ(b.state(1), BreakerState::kClosed);  // 2 of 3, but fewer than 6 outcomes
}

TEST(CircuitBreaker, HalfOpenProbeClosesOnSuccess) {
  CircuitBreaker b(config());
  for (int i = 0; i < 3; ++i) b.on_failure(0);
  EXPECT_FALSE(b.allow(999));
  EXPECT_EQ(b.state(1000), BreakerState::kHalfOpen);
  EXPECT_TRUE(b.would_allow(1000));
  EXPECT_TRUE(b.allow(1000));   // the one probe
  EXPECT_FALSE(b.allow(1001));  // a second waits for the probe's outcome
  b.on_success(1100);
  EXPECT_EQ(b.state(1100), BreakerState::kClosed);
  EXPECT_TRUE(b.allow(1100));
}

TEST(CircuitBreaker, HalfOpenProbeFailureReopens) {
  CircuitBreaker b(config());
  for (int i = 0; i < 3; ++i) b.on_failure(0);
  EXPECT_TRUE(b.allow(1000));
  b.on_failure(1050);
  EXPECT_EQ(b.state(1060), BreakerState::kOpen);
  EXPECT_FALSE(b.allow(2049));
  EXPECT_TRUE(b.allow(2050));
}

}  // namespace
}  // namespace junction::gateway
