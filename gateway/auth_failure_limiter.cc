#include "gateway/auth_failure_limiter.h"

namespace junction::gateway {

std::deque<int64_t>& AuthFailureLimiter::recent(const std::string& peer, int64_t now_ms) {
  std::deque<int64_t>& times = failures_[peer];
  while (!times.empty() && times.front() <= now_ms - limits_.window_ms) times.pop_front();
  return times;
}

int64_t AuthFailureLimiter::blocked_for_ms(const std::string& peer, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = failures_.find(peer);
  if (it == failures_.end()) return 0;
  const std::deque<int64_t>& times = recent(peer, now_ms);
  if (times.empty()) {
    failures_.erase(peer);
    return 0;
  }
  if (static_cast<int>(times.size()) < limits_.max_failures) return 0;
  return times.front() + limits_.window_ms - now_ms;
}

void AuthFailureLimiter::record_failure(const std::string& peer, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failures_.count(peer) && failures_.size() >= limits_.max_peers) forget_stalest();
  std::deque<int64_t>& times = recent(peer, now_ms);
  times.push_back(now_ms);
  // Only the last max_failures matter for the decision.
  while (static_cast<int>(times.size()) > limits_.max_failures) times.pop_front();
}

void AuthFailureLimiter::record_success(const std::string& peer) {
  std::lock_guard<std::mutex> lock(mutex_);
  failures_.erase(peer);
}

void AuthFailureLimiter::forget_stalest() {
  auto stalest = failures_.end();
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    const int64_t last = it->second.empty() ? INT64_MIN : it->second.back();
    if (stalest == failures_.end() ||
        last < (stalest->second.empty() ? INT64_MIN : stalest->second.back()))
      stalest = it;
  }
  if (stalest != failures_.end()) failures_.erase(stalest);
}

}  // namespace junction::gateway
