// The shared Store: one PostgreSQL database that several gateway processes (replicas) use at
// once. A bounded pool of connections (postgres_pool.h) serves concurrent callers in parallel;
// each Store call is one statement, so one transaction, and reserve() is a conditional UPDATE
// that PostgreSQL re-checks on the row's newest version under its row lock: concurrent
// requests from any number of processes cannot overspend. Every money-moving statement is
// idempotent on its request or grant id (store.h), so the pool resending one after a lost
// connection cannot take, refund or grant twice. A usage record is durable once settle() returns
// (the server's synchronous_commit decides against what: on by default, power loss included).
//
// The schema is created on first use under an advisory lock, so gateways starting together do
// not race on it.
#pragma once

#include <memory>
#include <string>

#include "gateway/store.h"

namespace junction::gateway {

class PostgresPool;

class PostgresStore : public Store {
 public:
  // `url`: postgres://user[:password]@host[:port]/database (libpq's URI syntax, so query
  // parameters such as ?sslmode=require or ?host=/run/postgresql pass through).
  // `max_connections`: connections opened at most; callers beyond it wait for one.
  explicit PostgresStore(const std::string& url, int max_connections = 16);
  ~PostgresStore() override;

  void create_key(const ApiKeyRecord& key, const std::string& key_hash) override;
  std::optional<ApiKeyRecord> key_by_hash(const std::string& key_hash) override;
  std::optional<ApiKeyRecord> key_by_id(const std::string& id) override;
  std::vector<ApiKeyRecord> list_keys(int64_t limit) override;
  bool set_key_limits(const ApiKeyRecord& k) override;
  bool disable_key(const std::string& id) override;
  GrantResult add_credits(const CreditGrant& grant, NanoUsd* balance) override;
  ReserveResult reserve(const ReservationRecord& r) override;
  SettleResult settle(UsageRecord record) override;
  int64_t abandon_reservations(const std::string& owner, int64_t created_before_ms,
                               int64_t now_ms) override;
  std::vector<KeyAudit> audit() override;
  std::vector<UsageRecord> usage(const std::string& key_id, int64_t since_ms,
                                 int64_t limit) override;
  std::vector<UsageRecord> recent_usage(const std::string& key_id, int64_t since_ms,
                                        int64_t limit) override;
  std::optional<UsageRecord> usage_by_request(const std::string& request_id) override;
  void put_response(const StoredResponse& r, const ResponseRetention& retention) override;
  std::optional<std::string> response_messages(const std::string& id, const std::string& key_id,
                                               int64_t not_before_ms) override;

 private:
  std::optional<ApiKeyRecord> key_where(const char* statement, const std::string& value);

  std::unique_ptr<PostgresPool> pool_;
};

}  // namespace junction::gateway
