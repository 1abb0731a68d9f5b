// How long to wait before the next attempt at another deployment: exponential backoff with
// full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in
// [0, min(max, base * 2^attempt)]. Which outcomes are retried at all is decide()'s
// (attempt_outcome.h): only failures before the first byte reached the client. Pure: the random
// source is a seeded engine the caller owns.
#pragma once

#include <cstdint>
#include <random>

namespace junction::gateway {

struct RetryPolicy {
  int max_attempts = 3;  // attempts in total, the first included
  int64_t base_ms = 20;
  int64_t max_ms = 500;

  // The pause (ms) before attempt `attempt` (1 = the first retry).
  int64_t backoff_ms(int attempt, std::mt19937_64& rng) const;
};

// Is an upstream HTTP status worth another deployment? 429, 408 and 5xx are; other 4xx are the
// request's fault and go back to the client as they are.
bool retryable_status(int status);

}  // namespace junction::gateway
