// Failed admin-key attempts counted per peer address: after `max_failures` failures within
// `window_ms`, the peer is answered 429 without its key being checked until the oldest of those
// failures leaves the window. It slows guessing from one address; the admin key itself should
// be long and random (a guess per request is hopeless against 128 bits, but an operator may
// pick a short one). Pure logic: the caller passes the time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace junction::gateway {

struct AuthFailureLimits {
  int max_failures = 10;       // within the window, then 429
  int64_t window_ms = 60'000;  // ms
  size_t max_peers = 10'000;   // peers tracked; past it the stalest is forgotten
};

class AuthFailureLimiter {
 public:
  explicit AuthFailureLimiter(AuthFailureLimits limits = {}) : limits_(limits) {}

  // 0 when `peer` may try a key now, else the ms until it may (for Retry-After).
  int64_t blocked_for_ms(const std::string& peer, int64_t now_ms);
  void record_failure(const std::string& peer, int64_t now_ms);
  // A right key clears the peer's failures.
  void record_success(const std::string& peer);

 private:
  // Drops failures older than the window; returns the peer's remaining ones.
  std::deque<int64_t>& recent(const std::string& peer, int64_t now_ms);
  void forget_stalest();

  AuthFailureLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<int64_t>> failures_;  // per peer, oldest first, ms
};

}  // namespace junction::gateway
