// Requests-per-minute and tokens-per-minute limits per API key: two token buckets per key,
// each holding up to a minute's allowance and refilling continuously. A request takes one
// request token and its estimated tokens (prompt + max_tokens) up front; when it ends,
// `adjust_tokens` returns what it did not use. Pure: time is passed in (ms, monotonic); the
// object locks itself, so HTTP threads share one. Per process; `RateLimits` is the seam that
// lets replicas share their buckets instead (redis_rate_limiter.h, same arithmetic in Redis).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace junction::gateway {

struct RateDecision {
  bool allowed = true;
  int64_t retry_after_ms = 0;  // when refused: until the buckets would hold enough
  std::string limit;           // "rpm" or "tpm" when refused
};

// What the request path asks of a limiter, in this process or shared.
class RateLimits {
 public:
  virtual ~RateLimits() = default;
  // rpm / tpm <= 0: no limit of that kind. A request larger than a whole minute's tpm is
  // refused with retry_after 60 s (it can never fit).
  virtual RateDecision acquire(const std::string& key, int64_t rpm, int64_t tpm, int64_t tokens,
                               int64_t now_ms) = 0;
  // Gives back (delta < 0) or takes more (delta > 0) tokens once the real count is known.
  virtual void adjust_tokens(const std::string& key, int64_t tpm, int64_t delta,
                             int64_t now_ms) = 0;
};

class RateLimiter final : public RateLimits {
 public:
  RateDecision acquire(const std::string& key, int64_t rpm, int64_t tpm, int64_t tokens,
                       int64_t now_ms) override;
  void adjust_tokens(const std::string& key, int64_t tpm, int64_t delta, int64_t now_ms) override;

 private:
  struct Bucket {
    double level = -1;  // tokens available; < 0: not started (full)
    int64_t at_ms = 0;
  };
  static void refill(Bucket& b, int64_t per_minute, int64_t now_ms);

  std::mutex mutex_;
  std::unordered_map<std::string, std::pair<Bucket, Bucket>> buckets_;  // key -> (rpm, tpm)
};

}  // namespace junction::gateway
