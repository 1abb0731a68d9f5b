// Where keys, balances and usage records live: an interface, so the embedded SQLite store and
// a shared PostgreSQL one are interchangeable. Every method is one atomic
// transaction and safe to call from many threads. Money is nano-USD (price.h).
//
// The ledger's invariant lives here: reserve() takes the worst-case cost from the balance only
// if the balance covers it (a conditional UPDATE, so concurrent requests, in this process or
// another sharing the database, cannot overspend), and settle() returns the unused part and
// writes the usage record in the same transaction, so the balance always equals the credits
// granted minus the recorded costs minus what is reserved by requests in flight.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/price.h"

namespace junction::gateway {

struct ApiKeyRecord {
  std::string id;  // "key_" + hex; public, names the key in the admin API
  std::string name;
  NanoUsd credits = 0;  // the balance available now (reservations already taken out)
  int64_t rpm = 0;      // 0: unlimited
  int64_t tpm = 0;
  NanoUsd daily_limit = 0;          // spend per UTC day; 0: none
  NanoUsd monthly_limit = 0;        // spend per UTC calendar month; 0: none
  std::vector<std::string> models;  // allowed public model names; empty: all
  bool disabled = false;
  int64_t created_ms = 0;  // Unix ms
};

struct UsageRecord {
  std::string request_id;  // "gen-..."
  std::string key_id;
  std::string model;     // public model name
  std::string provider;  // provider that answered; empty if none did
  TokenUsage tokens;
  NanoUsd cost = 0;
  double latency_ms = 0;  // request received -> last byte sent
  double ttft_ms = -1;    // request received -> first content byte; < 0: none
  std::string status;     // "ok", "error", "client_disconnected", "upstream_error"
  int http_status = 200;
  bool streamed = false;
  int64_t created_ms = 0;  // Unix ms
};

enum class ReserveResult { kOk, kInsufficientCredits, kDailyLimit, kMonthlyLimit, kNoSuchKey };

class Store {
 public:
  virtual ~Store() = default;

  virtual void create_key(const ApiKeyRecord& key, const std::string& key_hash) = 0;
  virtual std::optional<ApiKeyRecord> key_by_hash(const std::string& key_hash) = 0;
  virtual std::optional<ApiKeyRecord> key_by_id(const std::string& id) = 0;
  // Disables the key (its usage stays). False if there is no such key.
  virtual bool disable_key(const std::string& id) = 0;
  // Adds (or with a negative amount removes) credits; the new balance, or nullopt.
  virtual std::optional<NanoUsd> add_credits(const std::string& id, NanoUsd amount) = 0;

  // Takes `amount` from the balance if it covers it and the day's and month's spend (UTC, see
  // spend_period.h), reservations included, stay within the key's limits.
  virtual ReserveResult reserve(const std::string& key_id, NanoUsd amount, int64_t now_ms) = 0;
  // Returns `reserved - record.cost` to the balance and stores the record, atomically.
  // A cost above the reservation is clamped to it (never overspend). The refund also leaves
  // the day's and month's spend (of the period current at settlement).
  virtual void settle(NanoUsd reserved, UsageRecord record) = 0;

  virtual std::vector<UsageRecord> usage(const std::string& key_id, int64_t since_ms,
                                         int64_t limit) = 0;
  virtual std::optional<UsageRecord> usage_by_request(const std::string& request_id) = 0;
};

}  // namespace junction::gateway
