#include "gateway/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace junction::gateway {

void RateLimiter::refill(Bucket& b, int64_t per_minute, int64_t now_ms) {
  const double capacity = static_cast<double>(per_minute);
  if (b.level < 0) {
    b.level = capacity;
    b.at_ms = now_ms;
    return;
  }
  const int64_t elapsed = std::max<int64_t>(0, now_ms - b.at_ms);
  b.level = std::min(capacity, b.level + capacity * static_cast<double>(elapsed) / 60000.0);
  b.at_ms = std::max(b.at_ms, now_ms);
}

RateDecision RateLimiter::acquire(const std::string& key, int64_t rpm, int64_t tpm, int64_t tokens,
                                  int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto& [requests, toks] = buckets_[key];
  auto wait_ms = [](double missing, int64_t per_minute) {
    return static_cast<int64_t>(std::ceil(missing * 60000.0 / static_cast<double>(per_minute)));
  };
  if (rpm > 0) {
    refill(requests, rpm, now_ms);
    if (requests.level < 1) return {false, wait_ms(1 - requests.level, rpm), "rpm"};
  }
  if (tpm > 0) {
    if (tokens > tpm) return {false, 60000, "tpm"};
    refill(toks, tpm, now_ms);
    if (toks.level < static_cast<double>(tokens))
      return {false, wait_ms(static_cast<double>(tokens) - toks.level, tpm), "tpm"};
    toks.level -= static_cast<double>(tokens);
  }
  if (rpm > 0) requests.level -= 1;
  return {};
}

void RateLimiter::adjust_tokens(const std::string& key, int64_t tpm, int64_t delta,
                                int64_t now_ms) {
  if (tpm <= 0) return;
  std::lock_guard lock(mutex_);
  Bucket& b = buckets_[key].second;
  refill(b, tpm, now_ms);
  b.level = std::min(static_cast<double>(tpm), b.level - static_cast<double>(delta));
}

}  // namespace junction::gateway
