// Failed admin-key attempts per peer, with the time passed in: ten failures within a minute
// block the peer until the first of them is a minute old; other peers are unaffected; a right key
// clears the count; the table of peers stays bounded.
#include "gateway/auth_failure_limiter.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

TEST(AuthFailureLimiter, TenFailuresInAMinuteBlockThePeerUntilTheFirstIsAMinuteOld) {
  AuthFailureLimiter limiter;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(limiter.blocked_for_ms("10.0.0.1", 1000 + i * 1000), 0) << i;
    limiter.record_failure("10.0.0.1", 1000 + i * 1000);
  }
  // Failures at t = 1 s ... 10 s: blocked until t = 61 s.
  EXPECT_EQ(limiter.blocked_for_ms("10.0.0.1", 10'500), 50'500);
  EXPECT_EQ(limiter.blocked_for_ms("10.0.0.1", 60'999), 1);
  EXPECT_EQ(limiter.blocked_for_ms("10.0.0.2", 10'500), 0);
  EXPECT_EQ(limiter.blocked_for_ms("10.0.0.1", 61'000), 0);
  // One more failure at 61 s makes ten within the minute again (2 s ... 10 s and 61 s).
  limiter.record_failure("10.0.0.1", 61'000);
  EXPECT_EQ(limiter.blocked_for_ms("10.0.0.1", 61'000), 1000);
}

TEST(AuthFailureLimiter, NineFailuresAMinuteNeverBlock) {
  AuthFailureLimiter limiter;
  for (int64_t t = 0; t < 600'000; t += 6'700) {
    EXPECT_EQ(limiter.blocked_for_ms("p", t), 0) << t;
    limiter.record_failure("p", t);
  }
}

TEST(AuthFailureLimiter, ARightKeyClearsTheCount) {
  AuthFailureLimiter limiter;
  for (int i = 0; i < 9; ++i) limiter.record_failure("p", i);
  limiter.record_success("p");
  limiter.record_failure("p", 10);
  EXPECT_EQ(limiter.blocked_for_ms("p", 10), 0);
}

TEST(AuthFailureLimiter, ThePeerTableIsBoundedByForgettingTheStalest) {
  AuthFailureLimiter limiter(
      AuthFailureLimits{.max_failures = 2, .window_ms = 1000, .max_peers = 3});
  limiter.record_failure("a", 1);
  limiter.record_failure("a", 2);
  for (const char* p : {"b", "c", "d"}) limiter.record_failure(p, 5);
  // "a" (last failure at 2 ms) was forgotten to make room for "d".
  EXPECT_EQ(limiter.blocked_for_ms("a", 6), 0);
  limiter.record_failure("d", 6);
  EXPECT_GT(limiter.blocked_for_ms("d", 6), 0);
}

}  // namespace
}  // namespace junction::gateway
