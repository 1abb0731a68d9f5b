// A circuit breaker per deployment, as in Hystrix/resilience4j: closed while the upstream
// works; open (requests skip it) after `consecutive_failures` failures in a row or when the
// failure rate over the last `window` outcomes reaches `error_rate`; after `open_ms` it is
// half-open and lets `half_open_probes` requests through: a success closes it, a failure opens
// it again. Pure: the caller passes the time (ms on any monotonic clock) and holds the lock.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "gateway/config.h"

namespace junction::gateway {

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string to_string(BreakerState s);

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerConfig config = {});

  // May a request go to this deployment now? In half-open, counts the probe it lets through.
  bool allow(int64_t now_ms);
  // Would allow() say yes (without taking a probe slot)? For routing plans and status pages.
  bool would_allow(int64_t now_ms) const;
  void on_success(int64_t now_ms);
  void on_failure(int64_t now_ms);
  BreakerState state(int64_t now_ms) const;

 private:
  void open(int64_t now_ms);
  void record(bool failed);

  BreakerConfig config_;
  BreakerState state_ = BreakerState::kClosed;
  int64_t opened_at_ms_ = 0;
  int consecutive_failures_ = 0;
  int probes_in_flight_ = 0;
  std::deque<bool> outcomes_;  // last `window` outcomes, true = failure
  int failures_in_window_ = 0;
};

}  // namespace junction::gateway
