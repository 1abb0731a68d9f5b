// Where keys, balances and usage records live: an interface, so the embedded SQLite store and
// a shared PostgreSQL one are interchangeable. Every method is one atomic
// transaction and safe to call from many threads. Money is nano-USD (price.h).
//
// The ledger's invariant lives here, and is checkable from the database alone (audit()): for
// every key, the credits granted (the credit_grants table) minus its balance equal the costs
// settled (the usage table) plus the reservations still open (the reservations table).
// reserve() takes the worst-case cost from the balance only if the balance covers it (a
// conditional UPDATE, so concurrent requests, in this process or another sharing the database,
// cannot overspend) and records the reservation in the same transaction; settle() returns the
// unused part, closes the reservation and writes the usage record, atomically. A reservation
// that nothing settles (its gateway was killed) stays visible and is closed as "abandoned" by
// abandon_reservations(), refunded in full.
//
// Every money-moving call carries an id chosen by the caller (request id, grant id) and is
// idempotent on it: a call resent after a lost connection cannot take, refund or grant twice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/checked_math.h"
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

// A reservation as reserve() takes it and the reservations table keeps it until settled.
struct ReservationRecord {
  std::string request_id;  // the usage record's id once settled
  std::string key_id;
  std::string model;  // public model name (the abandoned record's)
  // The gateway instance that took it: one restarted under the same name closes its
  // predecessor's reservations at once (see abandon_reservations).
  std::string owner;
  NanoUsd amount = 0;      // the worst-case cost taken from the balance; >= 0
  int64_t created_ms = 0;  // Unix ms; its UTC day and month are the spend periods it counts in
};

// Credits added to (or, negative, taken from) a key: a row of credit_grants.
struct CreditGrant {
  std::string id;  // caller-chosen; a grant resent with the same id changes nothing
  std::string key_id;
  NanoUsd amount = 0;
  int64_t created_ms = 0;  // Unix ms
  std::string note;        // "key created", "top-up", ...
};

// One key's ledger as audit() reads it, in one snapshot of the database.
struct KeyAudit {
  std::string key_id;
  NanoUsd granted = 0;   // sum of its credit grants
  NanoUsd balance = 0;   // api_keys.credits
  NanoUsd settled = 0;   // sum of its usage records' costs
  NanoUsd reserved = 0;  // sum of its open reservations
  int64_t open_reservations = 0;
  int64_t oldest_reservation_ms = 0;  // Unix ms of the oldest open one; 0: none
  // granted - balance - settled - reserved: zero when the ledger adds up; nullopt if a sum
  // does not fit in int64.
  std::optional<NanoUsd> drift;
};

// A Responses API response kept for `previous_response_id` (the conversation up to and including
// its answer, as chat messages in JSON), readable only by the key that made it.
struct StoredResponse {
  std::string id;  // "resp_..."
  std::string key_id;
  std::string messages;    // JSON text
  int64_t created_ms = 0;  // Unix ms
};

// What the store keeps of one key's responses: put_response() forgets that key's oldest ones past
// `max_per_key` responses or `max_bytes_per_key` bytes of messages, and every response older than
// `ttl_ms` (those are no longer readable either). The size of one response is the caller's to
// bound (responses.max_bytes).
struct ResponseRetention {
  int64_t max_per_key = 1000;
  int64_t max_bytes_per_key = int64_t{64} << 20;
  int64_t ttl_ms = int64_t{30} * 86400 * 1000;
};

enum class ReserveResult { kOk, kInsufficientCredits, kDailyLimit, kMonthlyLimit, kNoSuchKey };
enum class SettleResult {
  kSettled,
  kNotOpen,  // no open reservation by that id (settled or abandoned before): nothing changed
};
enum class GrantResult {
  kOk,
  kNoSuchKey,
  kOverflow,  // the balance would leave int64: nothing changed
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates the key and records its initial credits as its first grant.
  virtual void create_key(const ApiKeyRecord& key, const std::string& key_hash) = 0;
  virtual std::optional<ApiKeyRecord> key_by_hash(const std::string& key_hash) = 0;
  virtual std::optional<ApiKeyRecord> key_by_id(const std::string& id) = 0;
  // The keys, newest first, at most `limit` (disabled ones too: the dashboard shows them).
  virtual std::vector<ApiKeyRecord> list_keys(int64_t limit) = 0;
  // Sets the key's rpm, tpm, daily_limit and monthly_limit to `k`'s (the key named k.id);
  // nothing else. False if there is no such key.
  virtual bool set_key_limits(const ApiKeyRecord& k) = 0;
  // Disables the key (its usage stays). False if there is no such key.
  virtual bool disable_key(const std::string& id) = 0;
  // Adds the grant's amount to the key's balance and records the grant; `*balance` is the
  // balance after it (also for a grant already recorded, which changes nothing).
  virtual GrantResult add_credits(const CreditGrant& grant, NanoUsd* balance) = 0;

  // Takes `r.amount` from the balance if it covers it and the day's and month's spend (UTC,
  // see spend_period.h, of r.created_ms), reservations included, stay within the key's
  // limits, and records the reservation. A request id already reserved answers kOk again.
  virtual ReserveResult reserve(const ReservationRecord& r) = 0;
  // Closes the open reservation `record.request_id`: returns its amount minus record.cost to
  // the balance and stores the record, atomically. A cost above the reservation is clamped to
  // it (never overspend), a negative one to 0. The refund also leaves the day's and month's
  // spend if the reservation's period is still the key's current one.
  virtual SettleResult settle(UsageRecord record) = 0;
  // Closes, refunding in full with an "abandoned" usage record (cost 0), every open
  // reservation taken by `owner` (non-empty) or created before `created_before_ms`; the
  // number closed. `now_ms` dates the records.
  virtual int64_t abandon_reservations(const std::string& owner, int64_t created_before_ms,
                                       int64_t now_ms) = 0;
  // Every key's ledger, ordered by key id.
  virtual std::vector<KeyAudit> audit() = 0;

  // The records since `since_ms` (of `key_id`; empty: every key), oldest first, at most
  // `limit`.
  virtual std::vector<UsageRecord> usage(const std::string& key_id, int64_t since_ms,
                                         int64_t limit) = 0;
  // The same, newest first: the latest `limit` (the dashboard's live log and charts).
  virtual std::vector<UsageRecord> recent_usage(const std::string& key_id, int64_t since_ms,
                                                int64_t limit) = 0;
  virtual std::optional<UsageRecord> usage_by_request(const std::string& request_id) = 0;

  // Keeps `r` (an id already kept changes nothing: a resend), then forgets what `retention` says
  // to, as of r.created_ms; one transaction.
  virtual void put_response(const StoredResponse& r, const ResponseRetention& retention) = 0;
  // The messages of response `id` if `key_id` made it and it was created at or after
  // `not_before_ms`; nullopt otherwise (unknown, forgotten, expired or another key's: the
  // caller cannot tell which).
  virtual std::optional<std::string> response_messages(const std::string& id,
                                                       const std::string& key_id,
                                                       int64_t not_before_ms) = 0;
};

// A key's drift from the four sums, overflow-checked.
inline std::optional<NanoUsd> ledger_drift(NanoUsd granted, NanoUsd balance, NanoUsd settled,
                                           NanoUsd reserved) {
  return (Checked(granted) - balance - settled - reserved).value();
}

}  // namespace junction::gateway
