// The embedded Store: one SQLite database in WAL mode, one connection guarded by a mutex (SQLite
// serializes writers anyway). Each call is one transaction; with `synchronous=NORMAL` (the
// default) a committed usage record survives the gateway process being killed, with `FULL` it
// also survives power loss, at one fsync per request. Several gateway processes may share the
// file: reserve() is a conditional UPDATE, atomic across processes (busy_timeout waits).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "gateway/store.h"

struct sqlite3;

namespace junction::gateway {

class SqliteStore : public Store {
 public:
  // `path`: a file, or ":memory:". `full_sync`: PRAGMA synchronous=FULL.
  explicit SqliteStore(const std::string& path, bool full_sync = false);
  ~SqliteStore() override;

  void create_key(const ApiKeyRecord& key, const std::string& key_hash) override;
  std::optional<ApiKeyRecord> key_by_hash(const std::string& key_hash) override;
  std::optional<ApiKeyRecord> key_by_id(const std::string& id) override;
  bool disable_key(const std::string& id) override;
  std::optional<NanoUsd> add_credits(const std::string& id, NanoUsd amount) override;
  ReserveResult reserve(const std::string& key_id, NanoUsd amount, int64_t now_ms) override;
  void settle(NanoUsd reserved, UsageRecord record) override;
  std::vector<UsageRecord> usage(const std::string& key_id, int64_t since_ms,
                                 int64_t limit) override;
  std::optional<UsageRecord> usage_by_request(const std::string& request_id) override;

 private:
  std::optional<ApiKeyRecord> key_where(const char* column, const std::string& value);
  // Brings a database created by an older junction up to this schema.
  void add_missing_columns();

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace junction::gateway
