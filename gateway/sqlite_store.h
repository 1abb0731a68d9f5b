// The embedded Store: one SQLite database in WAL mode, one connection guarded by a mutex (SQLite
// serializes writers anyway). Each call is atomic; reserve() and settle() from concurrent
// requests share transactions (group commit): the first writer to find no transaction running
// writes every write queued by then in one, each under its own savepoint, and each caller
// returns only once the transaction holding its write committed, so "returned" still means
// "durable". One commit per batch instead of per call is what lets a busy gateway keep up.
// With `synchronous=NORMAL` (the default) a committed usage record survives the gateway process
// being killed, with `FULL` it also survives power loss, at one fsync per commit. Several
// gateway processes may share the file: reserve() is a conditional UPDATE, atomic across
// processes (busy_timeout waits). Hot statements are prepared once and cached; key look-ups
// use a second, read-only connection so they never wait for a commit. WAL checkpoints (copying
// committed pages into the database file, and its fsync) run on a thread of their own with a
// third connection, never inside a request's commit: SQLite's automatic checkpoint would stall
// every request queued behind that commit for the milliseconds it takes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gateway/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace junction::gateway {

// When WAL checkpoints run, in WAL pages (4 kB).
struct WalCheckpointLimits {
  // The WAL's length that makes a checkpoint due. Four times SQLite's default: a request
  // rewrites the same few pages (the key's row, the right edges of the usage b-trees), so a
  // checkpoint copies about the same distinct pages whatever the WAL's length, and its cost
  // (two fsyncs, ~3 ms of work measured under load) is paid a quarter as often.
  int due_pages = 4000;
  // Past this length a checkpoint holds this process's writer off for a last pass, so that
  // the WAL stays bounded under unbroken writing.
  int force_pages = 16000;
};

class SqliteStore : public Store {
 public:
  // `path`: a file, or ":memory:". `full_sync`: PRAGMA synchronous=FULL.
  explicit SqliteStore(const std::string& path, bool full_sync = false,
                       WalCheckpointLimits limits = {});
  ~SqliteStore() override;

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
  std::optional<ApiKeyRecord> key_where(const char* column, const std::string& value);
  // Brings a database created by an older junction up to this schema.
  void migrate();
  // settle()'s work inside a transaction already open (mutex_ held).
  SettleResult settle_open(UsageRecord u);
  // The cached statement for `sql` (a string that lives as long as the store; keyed by its
  // address). mutex_ held.
  sqlite3_stmt* prepared(const std::string& sql);
  using StatementCache = std::unordered_map<const std::string*, sqlite3_stmt*>;
  static sqlite3_stmt* prepared(sqlite3* db, StatementCache& cache, const std::string& sql);

  struct PendingWrite {
    const std::function<void()>* apply;  // runs inside the batch's transaction, mutex_ held
    std::exception_ptr error;
    bool done = false;  // committed (or failed); set under queue_mutex_
    bool lead = false;  // writes the next batch; set under queue_mutex_
    // Set to 1 (then woken) when done or made the next leader: each writer sleeps on its own
    // futex, so a commit wakes exactly the writers it holds and the next leader, without the
    // queue's mutex (a shared condition variable woke every waiter and they fought over the
    // mutex; libstdc++'s semaphore spins with sched_yield first, a tenth of the CPU on 2 cores).
    std::atomic<int> woken{0};
  };
  // Runs `apply` in a shared transaction; returns once it committed (rethrows its failure).
  void write_batched(const std::function<void()>& apply);
  void write_batch(const std::vector<PendingWrite*>& batch);

  std::mutex queue_mutex_;
  std::vector<PendingWrite*> queue_;
  bool writing_ = false;  // a leader is writing a batch

  StatementCache statements_;
  std::mutex mutex_;
  // Key look-ups: a read-only connection of its own (none for ":memory:").
  sqlite3* reader_ = nullptr;
  StatementCache reader_statements_;
  std::mutex reader_mutex_;
  sqlite3* db_ = nullptr;
  std::string path_;

  // The checkpointer: woken by the writer's WAL hook once the WAL holds kCheckpointPages.
  void checkpoint_loop();
  static int on_wal_commit(void* self, sqlite3* db, const char* schema, int wal_pages);
  sqlite3* checkpointer_ = nullptr;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wanted_;
  bool checkpoint_due_ = false, stopping_ = false;
  WalCheckpointLimits limits_;
  std::atomic<int> wal_pages_{0};  // the WAL's length at the last commit
  std::thread checkpoint_thread_;
};

}  // namespace junction::gateway
