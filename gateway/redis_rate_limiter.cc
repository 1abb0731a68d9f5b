#include "gateway/redis_rate_limiter.h"

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>

#include "core/error.h"

namespace junction::gateway {
namespace {

// The buckets of RateLimiter, in Redis: hash {level, at} per key and kind, full when missing.
// A bucket untouched for a minute is full again, so it may expire after 61 s.
// KEYS: rpm bucket, tpm bucket. ARGV: rpm, tpm, tokens. -> {allowed, retry_after_ms, limit}
constexpr const char* kAcquire = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function level(key, per_minute)
  local v = redis.call('HMGET', key, 'level', 'at')
  local l, at = tonumber(v[1]), tonumber(v[2])
  if not l then return per_minute end
  local elapsed = math.max(0, now - at)
  return math.min(per_minute, l + per_minute * elapsed / 60000)
end
local rpm, tpm, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local requests, toks
if rpm > 0 then
  requests = level(KEYS[1], rpm)
  if requests < 1 then return {0, math.ceil((1 - requests) * 60000 / rpm), 'rpm'} end
end
if tpm > 0 then
  if tokens > tpm then return {0, 60000, 'tpm'} end
  toks = level(KEYS[2], tpm)
  if toks < tokens then return {0, math.ceil((tokens - toks) * 60000 / tpm), 'tpm'} end
  redis.call('HSET', KEYS[2], 'level', tostring(toks - tokens), 'at', now)
  redis.call('PEXPIRE', KEYS[2], 61000)
end
if rpm > 0 then
  redis.call('HSET', KEYS[1], 'level', tostring(requests - 1), 'at', now)
  redis.call('PEXPIRE', KEYS[1], 61000)
end
return {1, 0, ''}
)lua";

// KEYS: tpm bucket. ARGV: tpm, delta (tokens taken beyond the estimate; < 0 gives back).
constexpr const char* kAdjust = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tpm, delta = tonumber(ARGV[1]), tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'level', 'at')
local l, at = tonumber(v[1]), tonumber(v[2])
if not l then l = tpm else l = math.min(tpm, l + tpm * math.max(0, now - at) / 60000) end
redis.call('HSET', KEYS[1], 'level', tostring(math.min(tpm, l - delta)), 'at', now)
redis.call('PEXPIRE', KEYS[1], 61000)
return 1
)lua";

constexpr timeval kTimeout{0, 100'000};  // connect and per command
constexpr int64_t kRetryMs = 1000;       // after a failure, Redis is tried again this much later

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Reply {
  redisReply* r;
  ~Reply() {
    if (r) freeReplyObject(r);
  }
};

std::string as_text(const redisReply* r) {
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
    return std::string(r->str, r->len);
  return "";
}

}  // namespace

RedisAddress parse_redis_url(const std::string& url) {
  RedisAddress a;
  const auto bad = [&](const std::string& why) {
    return Error("redis '" + url + "': " + why +
                 " (redis://[:password@]host[:port][/db] or unix:///path)");
  };
  if (url.rfind("unix://", 0) == 0) {
    a.unix_path = url.substr(7);
    if (a.unix_path.empty() || a.unix_path[0] != '/') throw bad("the socket path must be absolute");
    return a;
  }
  if (url.rfind("redis://", 0) != 0) throw bad("unknown scheme");
  std::string rest = url.substr(8);
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    if (const size_t colon = auth.find(':'); colon != std::string::npos)
      auth = auth.substr(colon + 1);  // user names (Redis 6 ACLs) are not used
    a.password = auth;
    rest = rest.substr(at + 1);
  }
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      if (db.find_first_not_of("0123456789") != std::string::npos) throw bad("bad database");
      a.db = std::stoi(db);
    }
  }
  if (const size_t colon = rest.rfind(':'); colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos)
      throw bad("bad port");
    a.port = std::stoi(port);
    if (a.port < 1 || a.port > 65535) throw bad("bad port");
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) throw bad("no host");
  a.host = rest;
  return a;
}

struct RedisRateLimiter::Connection {
  redisContext* ctx = nullptr;
  std::string acquire_sha, adjust_sha;
  ~Connection() {
    if (ctx) redisFree(ctx);
  }
};

RedisRateLimiter::RedisRateLimiter(RedisAddress address, std::string key_prefix)
    : address_(std::move(address)), prefix_(std::move(key_prefix)) {}

RedisRateLimiter::~RedisRateLimiter() = default;

void RedisRateLimiter::went_down(const std::string& why) {
  std::lock_guard lock(mutex_);
  retry_at_ms_ = steady_ms() + kRetryMs;
  idle_.clear();  // their connections may be as broken as the one that failed
  if (!down_)
    std::fprintf(stderr,
                 "junction gateway: redis unreachable (%s): rate limits are per process until it "
                 "answers again\n",
                 why.c_str());
  down_ = true;
}

std::unique_ptr<RedisRateLimiter::Connection> RedisRateLimiter::take() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    if (down_ && steady_ms() < retry_at_ms_) return nullptr;
  }
  auto c = std::make_unique<Connection>();
  c->ctx = address_.unix_path.empty()
               ? redisConnectWithTimeout(address_.host.c_str(), address_.port, kTimeout)
               : redisConnectUnixWithTimeout(address_.unix_path.c_str(), kTimeout);
  if (!c->ctx || c->ctx->err) {
    went_down(c->ctx ? c->ctx->errstr : "cannot allocate a context");
    return nullptr;
  }
  redisSetTimeout(c->ctx, kTimeout);
  auto command = [&](std::vector<std::string> argv) -> std::string {
    std::vector<const char*> p;
    std::vector<size_t> n;
    for (const auto& a : argv) {
      p.push_back(a.data());
      n.push_back(a.size());
    }
    Reply r{static_cast<redisReply*>(
        redisCommandArgv(c->ctx, static_cast<int>(argv.size()), p.data(), n.data()))};
    if (!r.r || r.r->type == REDIS_REPLY_ERROR) {
      went_down(r.r ? std::string(r.r->str, r.r->len) : c->ctx->errstr);
      return "";
    }
    return as_text(r.r);
  };
  if (!address_.password.empty() && command({"AUTH", address_.password}).empty()) return nullptr;
  if (address_.db != 0 && command({"SELECT", std::to_string(address_.db)}).empty()) return nullptr;
  c->acquire_sha = command({"SCRIPT", "LOAD", kAcquire});
  if (c->acquire_sha.empty()) return nullptr;
  c->adjust_sha = command({"SCRIPT", "LOAD", kAdjust});
  if (c->adjust_sha.empty()) return nullptr;
  std::lock_guard lock(mutex_);
  if (down_)
    std::fprintf(stderr, "junction gateway: redis answers again: rate limits are shared\n");
  down_ = false;
  return c;
}

void RedisRateLimiter::give_back(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < 64) idle_.push_back(std::move(c));
}

bool RedisRateLimiter::eval(Connection& c, const std::string& sha, const std::string& script,
                            const std::vector<std::string>& keys,
                            const std::vector<std::string>& args, std::vector<std::string>& reply) {
  const std::string n_keys = std::to_string(keys.size());
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<const char*> p = {pass == 0 ? "EVALSHA" : "EVAL",
                                  pass == 0 ? sha.c_str() : script.c_str(), n_keys.c_str()};
    std::vector<size_t> n = {std::string_view(p[0]).size(), pass == 0 ? sha.size() : script.size(),
                             n_keys.size()};
    for (const auto* list : {&keys, &args})
      for (const auto& s : *list) {
        p.push_back(s.data());
        n.push_back(s.size());
      }
    Reply r{static_cast<redisReply*>(
        redisCommandArgv(c.ctx, static_cast<int>(p.size()), p.data(), n.data()))};
    if (!r.r) {
      went_down(c.ctx->errstr);
      return false;
    }
    if (r.r->type == REDIS_REPLY_ERROR) {
      const std::string error(r.r->str, r.r->len);
      if (pass == 0 && error.rfind("NOSCRIPT", 0) == 0) continue;  // SCRIPT FLUSH, a restart
      went_down(error);
      return false;
    }
    reply.clear();
    if (r.r->type == REDIS_REPLY_ARRAY)
      for (size_t i = 0; i < r.r->elements; ++i) reply.push_back(as_text(r.r->element[i]));
    else
      reply.push_back(as_text(r.r));
    return true;
  }
  return false;
}

RateDecision RedisRateLimiter::acquire(const std::string& key, int64_t rpm, int64_t tpm,
                                       int64_t tokens, int64_t now_ms) {
  if (rpm <= 0 && tpm <= 0) return {};
  if (auto c = take()) {
    std::vector<std::string> reply;
    if (eval(*c, c->acquire_sha, kAcquire, {prefix_ + key + ":rpm", prefix_ + key + ":tpm"},
             {std::to_string(rpm), std::to_string(tpm), std::to_string(tokens)}, reply) &&
        reply.size() == 3) {
      give_back(std::move(c));
      if (reply[0] == "1") return {};
      return {false, std::stoll(reply[1]), reply[2]};
    }
  }
  ++fallbacks_;
  return local_.acquire(key, rpm, tpm, tokens, now_ms);
}

void RedisRateLimiter::adjust_tokens(const std::string& key, int64_t tpm, int64_t delta,
                                     int64_t now_ms) {
  if (tpm <= 0 || delta == 0) return;
  if (auto c = take()) {
    std::vector<std::string> reply;
    if (eval(*c, c->adjust_sha, kAdjust, {prefix_ + key + ":tpm"},
             {std::to_string(tpm), std::to_string(delta)}, reply)) {
      give_back(std::move(c));
      return;
    }
  }
  ++fallbacks_;
  local_.adjust_tokens(key, tpm, delta, now_ms);
}

}  // namespace junction::gateway
