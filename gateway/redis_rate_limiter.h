// rpm/tpm limits shared by every gateway replica that points at the same Redis (`redis:` in the
// config): the same two token buckets per key as RateLimiter, kept in Redis hashes and updated
// by one Lua script per call, so the check and the take are atomic across replicas. The
// script reads Redis's own clock (TIME), not the caller's: replicas with skewed clocks still
// agree, and `now_ms` is used only by the fallback.
//
// When Redis cannot be reached (connect or command timeout: 100 ms, or an error reply) the
// limiter fails open to per-process limits: this replica's own RateLimiter keeps enforcing
// each key's rpm/tpm locally until Redis answers again (retried at most once a second). Why
// not fail closed: the limits protect upstream capacity and fairness, not money (credits are
// reserved in the store, which stays atomic), so refusing every request while an auxiliary
// service is down would turn a Redis outage into a gateway outage; and why not drop limits
// altogether: with N replicas the worst case while degraded is N times a key's limit, not
// unlimited. Each fall-back is counted (fallbacks()) and logged once per outage.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/rate_limiter.h"

struct redisContext;

namespace junction::gateway {

struct RedisAddress {
  std::string host;  // empty for a unix socket
  int port = 6379;
  std::string unix_path;  // unix:///path/to/redis.sock
  std::string password;   // redis://:password@host:port
  int db = 0;             // redis://host:port/2
};

// redis://[:password@]host[:port][/db] or unix:///path; throws junction::Error otherwise.
RedisAddress parse_redis_url(const std::string& url);

class RedisRateLimiter final : public RateLimits {
 public:
  explicit RedisRateLimiter(RedisAddress address, std::string key_prefix = "junction:rl:");
  ~RedisRateLimiter() override;

  RateDecision acquire(const std::string& key, int64_t rpm, int64_t tpm, int64_t tokens,
                       int64_t now_ms) override;
  void adjust_tokens(const std::string& key, int64_t tpm, int64_t delta, int64_t now_ms) override;

  // Calls answered by the local fallback because Redis was unreachable.
  int64_t fallbacks() const { return fallbacks_; }

 private:
  struct Connection;
  // A connected context from the free list or a new one; nullptr when Redis is down.
  std::unique_ptr<Connection> take();
  void give_back(std::unique_ptr<Connection> c);
  // EVALSHA (EVAL when the script cache was flushed); false when Redis failed.
  bool eval(Connection& c, const std::string& sha, const std::string& script,
            const std::vector<std::string>& keys, const std::vector<std::string>& args,
            std::vector<std::string>& reply);
  void went_down(const std::string& why);

  RedisAddress address_;
  std::string prefix_;
  RateLimiter local_;  // the fallback while Redis is down
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int64_t retry_at_ms_ = 0;  // steady ms before which Redis is not tried again
  bool down_ = false;
  std::atomic<int64_t> fallbacks_{0};
};

}  // namespace junction::gateway
