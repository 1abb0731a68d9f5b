#include "gateway/sqlite_store.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.h"
#include "gateway/spend_period.h"

namespace junction::gateway {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  credits INTEGER NOT NULL,          -- nano-USD available
  rpm INTEGER NOT NULL DEFAULT 0,
  tpm INTEGER NOT NULL DEFAULT 0,
  daily_limit INTEGER NOT NULL DEFAULT 0,
  day INTEGER NOT NULL DEFAULT 0,        -- UTC day number of day_spent
  day_spent INTEGER NOT NULL DEFAULT 0,  -- nano-USD reserved or spent that day
  monthly_limit INTEGER NOT NULL DEFAULT 0,
  month INTEGER NOT NULL DEFAULT 0,        -- utc_month() of month_spent
  month_spent INTEGER NOT NULL DEFAULT 0,
  models TEXT NOT NULL DEFAULT '[]',
  disabled INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS usage (
  request_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  provider TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  cost INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  ttft_ms REAL NOT NULL,
  status TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  streamed INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;  -- records live in the request_id b-tree: one page less written per record
CREATE INDEX IF NOT EXISTS usage_by_key ON usage (key_id, created_ms);
CREATE TABLE IF NOT EXISTS reservations (  -- open ones only: settle deletes the row
  request_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  owner TEXT NOT NULL,
  amount INTEGER NOT NULL,  -- nano-USD taken from the balance
  day INTEGER NOT NULL,     -- utc_day / utc_month of created_ms: the periods it counts in
  month INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reservations_by_key ON reservations (key_id);
CREATE TABLE IF NOT EXISTS credit_grants (
  grant_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_grants_by_key ON credit_grants (key_id);
CREATE TABLE IF NOT EXISTS responses (  -- Responses API conversations (previous_response_id)
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  messages TEXT NOT NULL,  -- JSON
  bytes INTEGER NOT NULL,  -- length(messages) in bytes, summed against max_bytes_per_key
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_by_key ON responses (key_id, created_ms);
CREATE INDEX IF NOT EXISTS responses_by_age ON responses (created_ms);
)sql";

// A key from before the ledger has no grants: what it was granted is taken to be its balance
// plus what it spent, so that its audit starts at zero drift. Keys created since always have
// their creation grant, so this finds only keys from before the upgrade. (Reservations open in
// an older gateway during the upgrade cannot be known: stop old gateways first.)
constexpr const char* kOpeningGrants = R"sql(
INSERT INTO credit_grants (grant_id, key_id, amount, created_ms, note)
SELECT 'opening-' || k.id, k.id,
       k.credits + COALESCE((SELECT SUM(cost) FROM usage u WHERE u.key_id = k.id), 0),
       k.created_ms, 'balance and spend when the ledger began'
FROM api_keys k WHERE NOT EXISTS (SELECT 1 FROM credit_grants g WHERE g.key_id = k.id)
)sql";

// Columns added after the first release: ALTERed into databases created before them.
constexpr const char* kAddedKeyColumns[] = {"monthly_limit", "month", "month_spent"};

// A prepared statement: owned (finalized on scope exit) or borrowed from the store's cache
// (reset and unbound on scope exit, ready for the next use).
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db), owned_(true) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw Error(std::string("sqlite: ") + sqlite3_errmsg(db) + " in: " + sql);
  }
  Statement(sqlite3* db, sqlite3_stmt* cached) : db_(db), stmt_(cached), owned_(false) {}
  ~Statement() {
    if (owned_) {
      sqlite3_finalize(stmt_);
    } else {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double f64(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_;
};

void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string m = message ? message : "unknown error";
    sqlite3_free(message);
    throw Error("sqlite: " + m);
  }
}

// Switching a database to WAL takes an exclusive lock, and when several processes open a new
// database at once SQLite can answer SQLITE_BUSY at once, without its busy handler (measured:
// in 7 of 60 runs of six stores opening one new database, one failed). Retried here for as long
// as the busy timeout would have waited.
void set_wal_mode(sqlite3* db) {
  for (int waited_ms = 0;; waited_ms += 5) {
    const int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= 10000)
      throw Error(std::string("sqlite: ") + sqlite3_errmsg(db) + " (setting WAL mode)");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

constexpr const char* kKeyColumns =
    "id, name, credits, rpm, tpm, daily_limit, models, disabled, created_ms, monthly_limit";

ApiKeyRecord read_key(const Statement& s) {
  ApiKeyRecord k;
  k.id = s.text(0);
  k.name = s.text(1);
  k.credits = s.i64(2);
  k.rpm = s.i64(3);
  k.tpm = s.i64(4);
  k.daily_limit = s.i64(5);
  k.models = nlohmann::json::parse(s.text(6)).get<std::vector<std::string>>();
  k.disabled = s.i64(7) != 0;
  k.created_ms = s.i64(8);
  k.monthly_limit = s.i64(9);
  return k;
}

constexpr const char* kUsageColumns =
    "request_id, key_id, model, provider, prompt_tokens, completion_tokens, reasoning_tokens, "
    "cached_tokens, cost, latency_ms, ttft_ms, status, http_status, streamed, created_ms";

UsageRecord read_usage(const Statement& s) {
  UsageRecord u;
  u.request_id = s.text(0);
  u.key_id = s.text(1);
  u.model = s.text(2);
  u.provider = s.text(3);
  u.tokens.prompt_tokens = s.i64(4);
  u.tokens.completion_tokens = s.i64(5);
  u.tokens.reasoning_tokens = s.i64(6);
  u.tokens.cached_tokens = s.i64(7);
  u.cost = s.i64(8);
  u.latency_ms = s.f64(9);
  u.ttft_ms = s.f64(10);
  u.status = s.text(11);
  u.http_status = static_cast<int>(s.i64(12));
  u.streamed = s.i64(13) != 0;
  u.created_ms = s.i64(14);
  return u;
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path, bool full_sync, WalCheckpointLimits limits)
    : path_(path), limits_(limits) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string m = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw Error("cannot open store " + path + ": " + m);
  }
  sqlite3_busy_timeout(db_, 10000);
  set_wal_mode(db_);
  exec(db_, full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec(db_, kSchema);
  migrate();
  // Key look-ups (every request) read through a second connection: in WAL mode a reader sees
  // the last commit without waiting for the writer, so authentication does not queue behind a
  // batch being committed. An in-memory database is private to one connection: no reader.
  if (path != ":memory:" &&
      sqlite3_open_v2(path.c_str(), &reader_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                      nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(reader_, 10000);
  } else {
    sqlite3_close(reader_);
    reader_ = nullptr;
  }
  if (path != ":memory:" &&
      sqlite3_open_v2(path.c_str(), &checkpointer_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(checkpointer_, 10000);
    // A connection learns the database is in WAL mode when it first reads it; before that a
    // checkpoint through it does nothing.
    set_wal_mode(checkpointer_);
    // Replaces SQLite's automatic checkpoint on this connection (itself a WAL hook).
    sqlite3_wal_hook(db_, &SqliteStore::on_wal_commit, this);
    checkpoint_thread_ = std::thread([this] { checkpoint_loop(); });
  } else {
    sqlite3_close(checkpointer_);
    checkpointer_ = nullptr;
  }
}

namespace {
// Checkpoint passes tried without holding the writer off, before a forced one.
constexpr int kCheckpointPasses = 4;
}  // namespace

int SqliteStore::on_wal_commit(void* self, sqlite3*, const char*, int wal_pages) {
  auto* store = static_cast<SqliteStore*>(self);
  store->wal_pages_.store(wal_pages, std::memory_order_relaxed);
  if (wal_pages < store->limits_.due_pages) return SQLITE_OK;
  {
    std::lock_guard lock(store->checkpoint_mutex_);
    store->checkpoint_due_ = true;
  }
  store->checkpoint_wanted_.notify_one();
  return SQLITE_OK;
}

void SqliteStore::checkpoint_loop() {
  std::unique_lock lock(checkpoint_mutex_);
  for (;;) {
    checkpoint_wanted_.wait(lock, [&] { return checkpoint_due_ || stopping_; });
    if (stopping_) return;
    checkpoint_due_ = false;
    lock.unlock();
    // PASSIVE copies committed pages without blocking writers or readers; once a pass has
    // copied the whole WAL, the next commit starts the WAL over from its beginning. Under load
    // writers append while a pass copies, so a pass rarely ends caught up, but each copies only
    // what came meanwhile, and a few passes find a gap between commits. Holding the writer off
    // for a pass (0.4-0.9 ms measured at 2,000 req/s, every queued request waiting) is kept
    // for a WAL that grows past force_pages all the same, which only unbroken writing
    // produces. A busy or failed checkpoint is retried at the next commit past due_pages.
    const auto too_long = [&] {
      return wal_pages_.load(std::memory_order_relaxed) >= limits_.force_pages;
    };
    bool caught_up = false;
    for (int pass = 0; pass < kCheckpointPasses && !caught_up && !too_long(); ++pass) {
      int log = -1, copied = -1;
      const int rc = sqlite3_wal_checkpoint_v2(checkpointer_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                               &log, &copied);
      caught_up = rc == SQLITE_OK && log == copied;
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) break;
    }
    if (!caught_up && too_long()) {
      std::lock_guard writer(mutex_);
      sqlite3_wal_checkpoint_v2(checkpointer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                nullptr);
    }
    lock.lock();
  }
}

void SqliteStore::migrate() {
  // One transaction: another gateway opening the same old database at once sees all columns
  // added or none (and then adds none twice: its own check runs after this commit).
  exec(db_, "BEGIN IMMEDIATE");
  try {
    std::vector<std::string> have;
    {
      Statement s(db_, "SELECT name FROM pragma_table_info('api_keys')");
      while (s.step()) have.push_back(s.text(0));
    }
    for (const char* column : kAddedKeyColumns)
      if (std::find(have.begin(), have.end(), column) == have.end())
        exec(db_, (std::string("ALTER TABLE api_keys ADD COLUMN ") + column +
                   " INTEGER NOT NULL DEFAULT 0")
                      .c_str());
    exec(db_, kOpeningGrants);
    exec(db_, "COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

SqliteStore::~SqliteStore() {
  if (checkpoint_thread_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mutex_);
      stopping_ = true;
    }
    checkpoint_wanted_.notify_one();
    checkpoint_thread_.join();
  }
  sqlite3_close(checkpointer_);
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  for (auto& [sql, stmt] : reader_statements_) sqlite3_finalize(stmt);
  sqlite3_close(reader_);
  sqlite3_close(db_);
}

void SqliteStore::create_key(const ApiKeyRecord& k, const std::string& key_hash) {
  static const std::string insert =
      "INSERT INTO api_keys (id, key_hash, name, credits, rpm, tpm, daily_limit, models, "
      "disabled, created_ms, monthly_limit) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
  static const std::string grant =
      "INSERT INTO credit_grants (grant_id, key_id, amount, created_ms, note) "
      "VALUES ('created-' || ?1, ?1, ?2, ?3, 'key created')";
  write_batched([&] {
    Statement s(db_, prepared(insert));
    s.bind(1, k.id).bind(2, key_hash).bind(3, k.name).bind(4, k.credits).bind(5, k.rpm);
    s.bind(6, k.tpm).bind(7, k.daily_limit).bind(8, nlohmann::json(k.models).dump());
    s.bind(9, int64_t{k.disabled}).bind(10, k.created_ms).bind(11, k.monthly_limit);
    s.step();
    Statement g(db_, prepared(grant));
    g.bind(1, k.id).bind(2, k.credits).bind(3, k.created_ms).step();
  });
}

std::optional<ApiKeyRecord> SqliteStore::key_where(const char* column, const std::string& value) {
  // Built once per column; the cache is keyed by the text's address.
  static const std::string by_hash =
      std::string("SELECT ") + kKeyColumns + " FROM api_keys WHERE key_hash = ?1";
  static const std::string by_id =
      std::string("SELECT ") + kKeyColumns + " FROM api_keys WHERE id = ?1";
  const std::string& sql = std::string_view(column) == "key_hash" ? by_hash : by_id;
  if (reader_) {
    std::lock_guard lock(reader_mutex_);
    Statement s(reader_, prepared(reader_, reader_statements_, sql));
    s.bind(1, value);
    if (!s.step()) return std::nullopt;
    return read_key(s);
  }
  std::lock_guard lock(mutex_);
  Statement s(db_, prepared(sql));
  s.bind(1, value);
  if (!s.step()) return std::nullopt;
  return read_key(s);
}

std::optional<ApiKeyRecord> SqliteStore::key_by_hash(const std::string& h) {
  return key_where("key_hash", h);
}

std::optional<ApiKeyRecord> SqliteStore::key_by_id(const std::string& id) {
  return key_where("id", id);
}

std::vector<ApiKeyRecord> SqliteStore::list_keys(int64_t limit) {
  static const std::string sql =
      std::string("SELECT ") + kKeyColumns + " FROM api_keys ORDER BY created_ms DESC, id LIMIT ?1";
  std::lock_guard lock(mutex_);
  Statement s(db_, prepared(sql));
  s.bind(1, limit);
  std::vector<ApiKeyRecord> out;
  while (s.step()) out.push_back(read_key(s));
  return out;
}

bool SqliteStore::set_key_limits(const ApiKeyRecord& k) {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "UPDATE api_keys SET rpm = ?2, tpm = ?3, daily_limit = ?4, monthly_limit = ?5 "
              "WHERE id = ?1");
  s.bind(1, k.id).bind(2, k.rpm).bind(3, k.tpm).bind(4, k.daily_limit).bind(5, k.monthly_limit);
  s.step();
  return sqlite3_changes(db_) > 0;
}

bool SqliteStore::disable_key(const std::string& id) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "UPDATE api_keys SET disabled = 1 WHERE id = ?1");
  s.bind(1, id).step();
  return sqlite3_changes(db_) > 0;
}

// SQLite turns an integer sum that overflows into a float: every sum on money is guarded so
// that it cannot overflow (the amount's sign picks the bound it must stay within).
GrantResult SqliteStore::add_credits(const CreditGrant& grant, NanoUsd* balance) {
  static const std::string seen = "SELECT 1 FROM credit_grants WHERE grant_id = ?1";
  static const std::string add =
      "UPDATE api_keys SET credits = credits + ?2 WHERE id = ?1 AND "
      "((?2 >= 0 AND credits <= 9223372036854775807 - ?2) OR "
      "(?2 < 0 AND credits >= -9223372036854775807 - 1 - ?2)) RETURNING credits";
  static const std::string record =
      "INSERT INTO credit_grants (grant_id, key_id, amount, created_ms, note) "
      "VALUES (?1, ?2, ?3, ?4, ?5)";
  static const std::string current = "SELECT credits FROM api_keys WHERE id = ?1";
  GrantResult result = GrantResult::kOk;
  write_batched([&] {
    Statement c(db_, prepared(current));
    c.bind(1, grant.key_id);
    if (!c.step()) {
      result = GrantResult::kNoSuchKey;
      return;
    }
    *balance = c.i64(0);
    {
      Statement q(db_, prepared(seen));
      q.bind(1, grant.id);
      if (q.step()) return;  // resent: already applied
    }
    Statement u(db_, prepared(add));
    u.bind(1, grant.key_id).bind(2, grant.amount);
    if (!u.step()) {
      result = GrantResult::kOverflow;
      return;
    }
    *balance = u.i64(0);
    Statement r(db_, prepared(record));
    r.bind(1, grant.id).bind(2, grant.key_id).bind(3, grant.amount).bind(4, grant.created_ms);
    r.bind(5, grant.note).step();
  });
  return result;
}

sqlite3_stmt* SqliteStore::prepared(const std::string& sql) {
  return prepared(db_, statements_, sql);
}

sqlite3_stmt* SqliteStore::prepared(sqlite3* db, StatementCache& cache, const std::string& sql) {
  auto& stmt = cache[&sql];
  if (!stmt && sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
                   SQLITE_OK)
    throw Error(std::string("sqlite: ") + sqlite3_errmsg(db) + " in: " + sql);
  return stmt;
}

namespace {

void futex_wait_until_set(std::atomic<int>& word) {
  while (word.load(std::memory_order_acquire) == 0)
    ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
}

// The waiter may return (and its word die) as soon as the store lands; a wake sent to a dead
// word is harmless (it lies on a live thread's stack, and every futex waiter re-checks).
void futex_set_and_wake(std::atomic<int>& word) {
  word.store(1, std::memory_order_release);
  ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

void SqliteStore::write_batched(const std::function<void()>& apply) {
  PendingWrite w{&apply, nullptr};
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(&w);
    if (!writing_) writing_ = w.lead = true;
  }
  if (!w.lead) futex_wait_until_set(w.woken);  // committed, or made the leader
  bool lead;
  {
    std::lock_guard lock(queue_mutex_);
    lead = !w.done;
  }
  if (lead) {
    // Leader: write everything queued so far (this write included) in one transaction, then
    // hand the lead to the first writer that queued meanwhile.
    std::vector<PendingWrite*> batch;
    PendingWrite* next = nullptr;
    {
      std::lock_guard lock(queue_mutex_);
      batch.swap(queue_);
    }
    write_batch(batch);
    {
      std::lock_guard lock(queue_mutex_);
      for (PendingWrite* p : batch) p->done = true;
      if (queue_.empty()) {
        writing_ = false;
      } else {
        next = queue_.front();
        next->lead = true;
      }
    }
    for (PendingWrite* p : batch)
      if (p != &w) futex_set_and_wake(p->woken);
    if (next) futex_set_and_wake(next->woken);
  }
  if (w.error) std::rethrow_exception(w.error);
}

void SqliteStore::write_batch(const std::vector<PendingWrite*>& batch) {
  static const std::string begin = "BEGIN IMMEDIATE", commit = "COMMIT", savepoint = "SAVEPOINT w",
                           release = "RELEASE w", undo = "ROLLBACK TO w";
  std::lock_guard lock(mutex_);
  try {
    Statement(db_, prepared(begin)).step();
    if (batch.size() == 1) {
      // A write alone needs no savepoint: if it fails, the transaction is rolled back below.
      (*batch.front()->apply)();
    } else {
      for (PendingWrite* p : batch) {
        // A write that fails is undone alone; the others in the batch still commit.
        Statement(db_, prepared(savepoint)).step();
        try {
          (*p->apply)();
          Statement(db_, prepared(release)).step();
        } catch (...) {
          p->error = std::current_exception();
          Statement(db_, prepared(undo)).step();
          Statement(db_, prepared(release)).step();
        }
      }
    }
    Statement(db_, prepared(commit)).step();
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    for (PendingWrite* p : batch)
      if (!p->error) p->error = std::current_exception();
  }
}

ReserveResult SqliteStore::reserve(const ReservationRecord& r) {
  // The CASEs read the day's and month's spend so far: zero once the period rolled over. Each
  // limit is compared as "spend <= limit - amount" and the spends are bounded, so no sum here
  // can overflow (amount >= 0, limits >= 0).
  static const std::string seen = "SELECT 1 FROM reservations WHERE request_id = ?1";
  static const std::string take =
      "UPDATE api_keys SET credits = credits - ?2, "
      "day_spent = (CASE WHEN day = ?3 THEN day_spent ELSE 0 END) + ?2, day = ?3, "
      "month_spent = (CASE WHEN month = ?4 THEN month_spent ELSE 0 END) + ?2, month = ?4 "
      "WHERE id = ?1 AND disabled = 0 AND credits >= ?2 AND "
      "(CASE WHEN day = ?3 THEN day_spent ELSE 0 END) <= 9223372036854775807 - ?2 AND "
      "(CASE WHEN month = ?4 THEN month_spent ELSE 0 END) <= 9223372036854775807 - ?2 AND "
      "(daily_limit = 0 OR (CASE WHEN day = ?3 THEN day_spent ELSE 0 END) <= daily_limit - ?2) "
      "AND (monthly_limit = 0 OR "
      "(CASE WHEN month = ?4 THEN month_spent ELSE 0 END) <= monthly_limit - ?2)";
  static const std::string record =
      "INSERT INTO reservations (request_id, key_id, model, owner, amount, day, month, "
      "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
  static const std::string why =
      "SELECT disabled, credits < ?2, daily_limit <> 0 AND "
      "(CASE WHEN day = ?3 THEN day_spent ELSE 0 END) > daily_limit - ?2 "
      "FROM api_keys WHERE id = ?1";
  if (r.amount < 0) throw Error("store: a reservation cannot be negative");
  const int64_t day = utc_day(r.created_ms), month = utc_month(r.created_ms);
  ReserveResult result = ReserveResult::kOk;
  write_batched([&] {
    {
      Statement q(db_, prepared(seen));
      q.bind(1, r.request_id);
      if (q.step()) return;  // resent: already taken
    }
    Statement s(db_, prepared(take));
    s.bind(1, r.key_id).bind(2, r.amount).bind(3, day).bind(4, month).step();
    if (sqlite3_changes(db_) > 0) {
      Statement w(db_, prepared(record));
      w.bind(1, r.request_id).bind(2, r.key_id).bind(3, r.model).bind(4, r.owner);
      w.bind(5, r.amount).bind(6, day).bind(7, month).bind(8, r.created_ms).step();
      return;
    }
    Statement q(db_, prepared(why));
    q.bind(1, r.key_id).bind(2, r.amount).bind(3, day);
    if (!q.step() || q.i64(0) != 0)
      result = ReserveResult::kNoSuchKey;
    else if (q.i64(1) != 0)
      result = ReserveResult::kInsufficientCredits;
    else
      result = q.i64(2) != 0 ? ReserveResult::kDailyLimit : ReserveResult::kMonthlyLimit;
  });
  return result;
}

SettleResult SqliteStore::settle_open(UsageRecord u) {
  static const std::string open =
      "SELECT key_id, amount, day, month FROM reservations WHERE request_id = ?1";
  static const std::string refund_sql =
      "UPDATE api_keys SET credits = credits + ?2, "
      "day_spent = CASE WHEN day = ?3 THEN MAX(0, day_spent - ?2) ELSE day_spent END, "
      "month_spent = CASE WHEN month = ?4 THEN MAX(0, month_spent - ?2) ELSE month_spent END "
      "WHERE id = ?1";
  static const std::string close = "DELETE FROM reservations WHERE request_id = ?1";
  static const std::string insert =
      std::string("INSERT INTO usage (") + kUsageColumns +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
  NanoUsd amount = 0;
  int64_t day = 0, month = 0;
  {
    Statement q(db_, prepared(open));
    q.bind(1, u.request_id);
    if (!q.step()) return SettleResult::kNotOpen;
    u.key_id = q.text(0);
    amount = q.i64(1);
    day = q.i64(2);
    month = q.i64(3);
  }
  u.cost = std::clamp<NanoUsd>(u.cost, 0, amount);
  const NanoUsd refund = amount - u.cost;
  Statement k(db_, prepared(refund_sql));
  k.bind(1, u.key_id).bind(2, refund).bind(3, day).bind(4, month).step();
  Statement(db_, prepared(close)).bind(1, u.request_id).step();
  Statement s(db_, prepared(insert));
  s.bind(1, u.request_id).bind(2, u.key_id).bind(3, u.model).bind(4, u.provider);
  s.bind(5, u.tokens.prompt_tokens).bind(6, u.tokens.completion_tokens);
  s.bind(7, u.tokens.reasoning_tokens).bind(8, u.tokens.cached_tokens).bind(9, u.cost);
  s.bind(10, u.latency_ms).bind(11, u.ttft_ms).bind(12, u.status);
  s.bind(13, int64_t{u.http_status}).bind(14, int64_t{u.streamed}).bind(15, u.created_ms);
  s.step();
  return SettleResult::kSettled;
}

SettleResult SqliteStore::settle(UsageRecord u) {
  SettleResult result = SettleResult::kSettled;
  write_batched([&] { result = settle_open(u); });
  return result;
}

int64_t SqliteStore::abandon_reservations(const std::string& owner, int64_t created_before_ms,
                                          int64_t now_ms) {
  static const std::string stranded =
      "SELECT request_id, key_id, model FROM reservations "
      "WHERE (?1 <> '' AND owner = ?1) OR created_ms < ?2";
  int64_t closed = 0;
  write_batched([&] {
    std::vector<UsageRecord> records;
    {
      Statement q(db_, prepared(stranded));
      q.bind(1, owner).bind(2, created_before_ms);
      while (q.step()) {
        UsageRecord u;
        u.request_id = q.text(0);
        u.key_id = q.text(1);
        u.model = q.text(2);
        u.status = "abandoned";
        u.http_status = 0;
        u.created_ms = now_ms;
        records.push_back(std::move(u));
      }
    }
    closed = 0;
    for (const UsageRecord& u : records) closed += settle_open(u) == SettleResult::kSettled;
  });
  return closed;
}

std::vector<KeyAudit> SqliteStore::audit() {
  // One statement: one snapshot of the database. SQLite's SUM fails on an integer overflow
  // rather than turning it into a float.
  static const std::string sql =
      "SELECT k.id, k.credits, "
      "COALESCE((SELECT SUM(amount) FROM credit_grants g WHERE g.key_id = k.id), 0), "
      "COALESCE((SELECT SUM(cost) FROM usage u WHERE u.key_id = k.id), 0), "
      "COALESCE((SELECT SUM(amount) FROM reservations r WHERE r.key_id = k.id), 0), "
      "(SELECT COUNT(*) FROM reservations r WHERE r.key_id = k.id), "
      "COALESCE((SELECT MIN(created_ms) FROM reservations r WHERE r.key_id = k.id), 0) "
      "FROM api_keys k ORDER BY k.id";
  std::lock_guard lock(mutex_);
  Statement s(db_, sql.c_str());
  std::vector<KeyAudit> out;
  while (s.step()) {
    KeyAudit a;
    a.key_id = s.text(0);
    a.balance = s.i64(1);
    a.granted = s.i64(2);
    a.settled = s.i64(3);
    a.reserved = s.i64(4);
    a.open_reservations = s.i64(5);
    a.oldest_reservation_ms = s.i64(6);
    a.drift = ledger_drift(a.granted, a.balance, a.settled, a.reserved);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<UsageRecord> SqliteStore::usage(const std::string& key_id, int64_t since_ms,
                                            int64_t limit) {
  std::lock_guard lock(mutex_);
  Statement s(db_, (std::string("SELECT ") + kUsageColumns +
                    " FROM usage WHERE (?1 = '' OR key_id = ?1) AND created_ms >= ?2 "
                    "ORDER BY created_ms, request_id LIMIT ?3")
                       .c_str());
  s.bind(1, key_id).bind(2, since_ms).bind(3, limit);
  std::vector<UsageRecord> out;
  while (s.step()) out.push_back(read_usage(s));
  return out;
}

std::vector<UsageRecord> SqliteStore::recent_usage(const std::string& key_id, int64_t since_ms,
                                                   int64_t limit) {
  static const std::string sql = std::string("SELECT ") + kUsageColumns +
                                 " FROM usage WHERE (?1 = '' OR key_id = ?1) AND created_ms >= ?2 "
                                 "ORDER BY created_ms DESC, request_id DESC LIMIT ?3";
  std::lock_guard lock(mutex_);
  Statement s(db_, prepared(sql));
  s.bind(1, key_id).bind(2, since_ms).bind(3, limit);
  std::vector<UsageRecord> out;
  while (s.step()) out.push_back(read_usage(s));
  return out;
}

std::optional<UsageRecord> SqliteStore::usage_by_request(const std::string& request_id) {
  std::lock_guard lock(mutex_);
  Statement s(
      db_, (std::string("SELECT ") + kUsageColumns + " FROM usage WHERE request_id = ?1").c_str());
  s.bind(1, request_id);
  if (!s.step()) return std::nullopt;
  return read_usage(s);
}

void SqliteStore::put_response(const StoredResponse& r, const ResponseRetention& retention) {
  static const std::string insert =
      "INSERT INTO responses (id, key_id, messages, bytes, created_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING";
  static const std::string expire = "DELETE FROM responses WHERE created_ms < ?1";
  // The key's responses newest first, numbered and with the bytes of those up to each: every
  // one past the count or the byte budget goes (the oldest), the one just kept last of all.
  static const std::string trim =
      "DELETE FROM responses WHERE id IN (SELECT id FROM (SELECT id, "
      "ROW_NUMBER() OVER w AS n, SUM(bytes) OVER w AS total FROM responses WHERE key_id = ?1 "
      "WINDOW w AS (ORDER BY created_ms DESC, id DESC)) WHERE n > ?2 OR total > ?3)";
  write_batched([&] {
    Statement i(db_, prepared(insert));
    i.bind(1, r.id).bind(2, r.key_id).bind(3, r.messages);
    i.bind(4, static_cast<int64_t>(r.messages.size())).bind(5, r.created_ms).step();
    Statement(db_, prepared(expire)).bind(1, r.created_ms - retention.ttl_ms).step();
    Statement t(db_, prepared(trim));
    t.bind(1, r.key_id).bind(2, retention.max_per_key).bind(3, retention.max_bytes_per_key).step();
  });
}

std::optional<std::string> SqliteStore::response_messages(const std::string& id,
                                                          const std::string& key_id,
                                                          int64_t not_before_ms) {
  static const std::string sql =
      "SELECT messages FROM responses WHERE id = ?1 AND key_id = ?2 AND created_ms >= ?3";
  const auto read = [&](sqlite3* db, sqlite3_stmt* stmt) -> std::optional<std::string> {
    Statement s(db, stmt);
    s.bind(1, id).bind(2, key_id).bind(3, not_before_ms);
    if (!s.step()) return std::nullopt;
    return s.text(0);
  };
  if (reader_) {
    std::lock_guard lock(reader_mutex_);
    return read(reader_, prepared(reader_, reader_statements_, sql));
  }
  std::lock_guard lock(mutex_);
  return read(db_, prepared(sql));
}

}  // namespace junction::gateway
