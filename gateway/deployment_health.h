// What the gateway knows about one deployment while it runs: requests in flight, EWMAs of time
// to first token and of output tokens per second, success and failure counts, and its circuit
// breaker. Thread-safe (one mutex per deployment); time comes from the caller.
#pragma once

#include <cstdint>
#include <mutex>

#include "gateway/circuit_breaker.h"

namespace junction::gateway {

struct HealthSnapshot {
  int64_t outstanding = 0;
  double latency_ms = -1;    // EWMA TTFT; < 0: no samples
  double tokens_per_s = -1;  // EWMA; < 0: no samples
  int64_t n_success = 0, n_failure = 0;
  BreakerState breaker = BreakerState::kClosed;
  bool available = true;  // the breaker would let a request through now
};

class DeploymentHealth {
 public:
  static constexpr double kAlpha = 0.3;  // EWMA weight of the newest sample

  explicit DeploymentHealth(BreakerConfig breaker) : breaker_(breaker) {}

  // Counts a request in flight if the breaker lets it through.
  bool begin(int64_t now_ms);
  // ttft_ms / tokens_per_s < 0: not measured by this request.
  void end_success(int64_t now_ms, double ttft_ms, double tokens_per_s);
  void end_failure(int64_t now_ms);
  HealthSnapshot snapshot(int64_t now_ms) const;

 private:
  mutable std::mutex mutex_;
  CircuitBreaker breaker_;
  int64_t outstanding_ = 0;
  double latency_ms_ = -1, tokens_per_s_ = -1;
  int64_t n_success_ = 0, n_failure_ = 0;
};

}  // namespace junction::gateway
