#include "gateway/circuit_breaker.h"

namespace junction::gateway {

std::string to_string(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "?";
}

CircuitBreaker::CircuitBreaker(BreakerConfig config) : config_(config) {}

BreakerState CircuitBreaker::state(int64_t now_ms) const {
  if (state_ == BreakerState::kOpen && now_ms - opened_at_ms_ >= config_.open_ms)
    return BreakerState::kHalfOpen;
  return state_;
}

bool CircuitBreaker::would_allow(int64_t now_ms) const {
  switch (state(now_ms)) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      return false;
    case BreakerState::kHalfOpen:
      return state_ == BreakerState::kOpen || probes_in_flight_ < config_.half_open_probes;
  }
  return false;
}

bool CircuitBreaker::allow(int64_t now_ms) {
  const BreakerState s = state(now_ms);
  if (s == BreakerState::kClosed) return true;
  if (s == BreakerState::kOpen) return false;
  if (state_ == BreakerState::kOpen) {  // the open period just ended
    state_ = BreakerState::kHalfOpen;
    probes_in_flight_ = 0;
  }
  if (probes_in_flight_ >= config_.half_open_probes) return false;
  ++probes_in_flight_;
  return true;
}

void CircuitBreaker::record(bool failed) {
  outcomes_.push_back(failed);
  failures_in_window_ += failed;
  while (static_cast<int>(outcomes_.size()) > config_.window) {
    failures_in_window_ -= outcomes_.front();
    outcomes_.pop_front();
  }
}

void CircuitBreaker::open(int64_t now_ms) {
  state_ = BreakerState::kOpen;
  opened_at_ms_ = now_ms;
  probes_in_flight_ = 0;
  consecutive_failures_ = 0;
  outcomes_.clear();
  failures_in_window_ = 0;
}

void CircuitBreaker::on_success(int64_t now_ms) {
  consecutive_failures_ = 0;
  if (state(now_ms) == BreakerState::kHalfOpen || state_ == BreakerState::kHalfOpen) {
    state_ = BreakerState::kClosed;
    probes_in_flight_ = 0;
    outcomes_.clear();
    failures_in_window_ = 0;
    return;
  }
  record(false);
}

void CircuitBreaker::on_failure(int64_t now_ms) {
  if (state_ == BreakerState::kHalfOpen || state(now_ms) == BreakerState::kHalfOpen) {
    open(now_ms);
    return;
  }
  if (state_ == BreakerState::kOpen) return;
  ++consecutive_failures_;
  record(true);
  const int n = static_cast<int>(outcomes_.size());
  if (consecutive_failures_ >= config_.consecutive_failures ||
      (n >= config_.min_requests &&
       failures_in_window_ >= config_.error_rate * static_cast<double>(n)))
    open(now_ms);
}

}  // namespace junction::gateway
