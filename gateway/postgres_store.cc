#include "gateway/postgres_store.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "gateway/postgres_pool.h"
#include "gateway/spend_period.h"

namespace junction::gateway {
namespace {

// One transaction; the advisory lock makes gateways that start together create it one after the
// other (CREATE ... IF NOT EXISTS alone races on the catalog). Once the schema exists nothing
// below runs: CREATE INDEX IF NOT EXISTS takes a share lock on its table before it looks for the
// index, and a gateway starting beside running ones would then deadlock with their writes
// (settle writes reservations and usage in the other order). The guard is the newest object; a
// change to the schema adds its own. Money columns: nano-USD.
constexpr const char* kSchema = R"sql(
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT pg_advisory_xact_lock(7403616923180155001);
DO $schema$ BEGIN
IF to_regclass('credit_grants_by_key') IS NOT NULL THEN RETURN; END IF;
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  credits BIGINT NOT NULL,
  rpm BIGINT NOT NULL DEFAULT 0,
  tpm BIGINT NOT NULL DEFAULT 0,
  daily_limit BIGINT NOT NULL DEFAULT 0,
  day BIGINT NOT NULL DEFAULT 0,
  day_spent BIGINT NOT NULL DEFAULT 0,
  monthly_limit BIGINT NOT NULL DEFAULT 0,
  month BIGINT NOT NULL DEFAULT 0,
  month_spent BIGINT NOT NULL DEFAULT 0,
  models TEXT NOT NULL DEFAULT '[]',
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS usage (
  request_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  provider TEXT NOT NULL,
  prompt_tokens BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  cached_tokens BIGINT NOT NULL,
  cost BIGINT NOT NULL,
  latency_ms DOUBLE PRECISION NOT NULL,
  ttft_ms DOUBLE PRECISION NOT NULL,
  status TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  streamed BOOLEAN NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_by_key ON usage (key_id, created_ms);
CREATE TABLE IF NOT EXISTS reservations (
  request_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  owner TEXT NOT NULL,
  amount BIGINT NOT NULL,
  day BIGINT NOT NULL,
  month BIGINT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_by_key ON reservations (key_id);
CREATE TABLE IF NOT EXISTS credit_grants (
  grant_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_grants_by_key ON credit_grants (key_id);
-- A key from before the ledger: granted = balance + spent (see sqlite_store.cc).
INSERT INTO credit_grants (grant_id, key_id, amount, created_ms, note)
SELECT 'opening-' || k.id, k.id,
       k.credits + COALESCE((SELECT SUM(cost) FROM usage u WHERE u.key_id = k.id), 0),
       k.created_ms, 'balance and spend when the ledger began'
FROM api_keys k WHERE NOT EXISTS (SELECT 1 FROM credit_grants g WHERE g.key_id = k.id);
END $schema$;
DO $responses$ BEGIN
IF to_regclass('responses_by_age') IS NOT NULL THEN RETURN; END IF;
CREATE TABLE IF NOT EXISTS responses (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  messages TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_by_key ON responses (key_id, created_ms);
CREATE INDEX IF NOT EXISTS responses_by_age ON responses (created_ms);
END $responses$;
COMMIT;
)sql";

const std::string kKeyColumns =
    "id, name, credits, rpm, tpm, daily_limit, monthly_limit, models, disabled, created_ms";
const std::string kUsageColumns =
    "request_id, key_id, model, provider, prompt_tokens, completion_tokens, reasoning_tokens, "
    "cached_tokens, cost, latency_ms, ttft_ms, status, http_status, streamed, created_ms";
// The day's and month's spend so far ($3: utc_day, $4: utc_month): zero once the period rolled
// over.
const std::string kDaySpent = "(CASE WHEN day = $3::bigint THEN day_spent ELSE 0 END)";
const std::string kMonthSpent = "(CASE WHEN month = $4::bigint THEN month_spent ELSE 0 END)";

const std::string kReservationColumns =
    "request_id, key_id, model, owner, amount, day, month, created_ms";

// Every statement is one transaction, and the pool may send one again after a lost connection
// (postgres_pool.h): each is idempotent on its request or grant id. Each limit is compared as
// "spend <= limit - amount", and the spends are bounded, so no sum overflows (PostgreSQL would
// fail the statement with "bigint out of range").
std::vector<PreparedSql> statements() {
  return {
      {"create_key", "WITH k AS (INSERT INTO api_keys (" + kKeyColumns +
                         ", key_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                         "ON CONFLICT (id) DO NOTHING RETURNING id, credits, created_ms) "
                         "INSERT INTO credit_grants (grant_id, key_id, amount, created_ms, note) "
                         "SELECT 'created-' || id, id, credits, created_ms, 'key created' FROM k"},
      {"key_by_hash", "SELECT " + kKeyColumns + " FROM api_keys WHERE key_hash = $1"},
      {"key_by_id", "SELECT " + kKeyColumns + " FROM api_keys WHERE id = $1"},
      {"list_keys",
       "SELECT " + kKeyColumns + " FROM api_keys ORDER BY created_ms DESC, id LIMIT $1::bigint"},
      {"disable_key", "UPDATE api_keys SET disabled = TRUE WHERE id = $1"},
      {"set_key_limits",
       "UPDATE api_keys SET rpm = $2::bigint, tpm = $3::bigint, daily_limit = $4::bigint, "
       "monthly_limit = $5::bigint WHERE id = $1"},
      // $1 grant id, $2 key, $3 amount, $4 created_ms, $5 note.
      {"add_credits",
       "WITH g AS (INSERT INTO credit_grants (grant_id, key_id, amount, created_ms, note) "
       "SELECT $1, id, $3::bigint, $4::bigint, $5 FROM api_keys WHERE id = $2 AND "
       // In numeric, which cannot overflow: bigint arithmetic on a parameter may be folded
       // (and fail) at planning time, whatever guards it.
       "credits::numeric + $3::numeric BETWEEN -9223372036854775808 AND 9223372036854775807 "
       "ON CONFLICT (grant_id) DO NOTHING RETURNING key_id, amount) "
       "UPDATE api_keys k SET credits = k.credits + g.amount FROM g WHERE k.id = g.key_id "
       "RETURNING k.credits"},
      // Why a grant changed nothing: the balance, and whether the grant was recorded before.
      {"grant_state",
       "SELECT credits, EXISTS (SELECT 1 FROM credit_grants WHERE grant_id = $1) "
       "FROM api_keys WHERE id = $2"},
      // $1 key, $2 amount, $3 day, $4 month, $5 request id, $6 model, $7 owner, $8 created_ms.
      // PostgreSQL re-evaluates the WHERE on the newest row version once it holds the row
      // lock, so two reservations racing for the last credits cannot both pass.
      {"reserve",
       "WITH taken AS (UPDATE api_keys SET credits = credits - $2::bigint, day_spent = " +
           kDaySpent + " + $2::bigint, day = $3::bigint, month_spent = " + kMonthSpent +
           " + $2::bigint, month = $4::bigint "
           "WHERE id = $1 AND NOT disabled AND credits >= $2::bigint "
           "AND NOT EXISTS (SELECT 1 FROM reservations WHERE request_id = $5) "
           "AND " +
           kDaySpent + " <= 9223372036854775807 - $2::bigint AND " + kMonthSpent +
           " <= 9223372036854775807 - $2::bigint "
           "AND (daily_limit = 0 OR " +
           kDaySpent + " <= daily_limit - $2::bigint) AND (monthly_limit = 0 OR " + kMonthSpent +
           " <= monthly_limit - $2::bigint) RETURNING id) "
           "INSERT INTO reservations (" +
           kReservationColumns +
           ") SELECT $5, id, $6, $7, $2::bigint, $3::bigint, $4::bigint, $8::bigint FROM taken"},
      // Why a reservation was refused: 4 it is open already (a resend), 0 key disabled,
      // 1 credits, 2 daily, 3 monthly limit, 5 a spend at int64's end (reported as 3).
      {"refusal",
       "SELECT CASE WHEN EXISTS (SELECT 1 FROM reservations WHERE request_id = $5) THEN 4 "
       "WHEN disabled THEN 0 WHEN credits < $2::bigint THEN 1 "
       "WHEN daily_limit <> 0 AND " +
           kDaySpent + " > daily_limit - $2::bigint THEN 2 WHEN monthly_limit <> 0 AND " +
           kMonthSpent +
           " > monthly_limit - $2::bigint THEN 3 ELSE 5 END "
           "FROM api_keys WHERE id = $1"},
      // One statement: the reservation closed, the record written and the refund made
      // together; a resent settle finds no open reservation and changes nothing. $1..$14: the
      // record's columns but key_id (the reservation's is used), $9 the cost.
      {"settle",
       "WITH res AS (DELETE FROM reservations WHERE request_id = $1 "
       "RETURNING key_id, amount, day, month), "
       "c AS (SELECT key_id, amount, day, month, "
       "LEAST(GREATEST($8::bigint, 0), amount) AS cost FROM res), "
       "recorded AS (INSERT INTO usage (" +
           kUsageColumns +
           ") SELECT $1, c.key_id, $2, $3, $4::bigint, $5::bigint, $6::bigint, $7::bigint, "
           "c.cost, $9::double precision, $10::double precision, $11, $12::integer, "
           "$13::boolean, $14::bigint FROM c ON CONFLICT (request_id) DO NOTHING) "
           "UPDATE api_keys k SET credits = k.credits + (c.amount - c.cost), "
           "day_spent = CASE WHEN k.day = c.day THEN GREATEST(0, k.day_spent - (c.amount - "
           "c.cost)) ELSE k.day_spent END, "
           "month_spent = CASE WHEN k.month = c.month THEN GREATEST(0, k.month_spent - "
           "(c.amount - c.cost)) ELSE k.month_spent END "
           "FROM c WHERE k.id = c.key_id RETURNING c.cost"},
      // $1 owner ('' for none), $2 created before, $3 now. Refunds are summed per key first:
      // an UPDATE ... FROM with several rows for one key would apply only one of them.
      {"abandon",
       "WITH res AS (DELETE FROM reservations WHERE ($1 <> '' AND owner = $1) OR created_ms < "
       "$2::bigint RETURNING request_id, key_id, model, amount, day, month), "
       "recorded AS (INSERT INTO usage (" +
           kUsageColumns +
           ") SELECT request_id, key_id, model, '', 0, 0, 0, 0, 0, 0, -1, 'abandoned', 0, "
           "FALSE, $3::bigint FROM res ON CONFLICT (request_id) DO NOTHING), "
           "per_key AS (SELECT r.key_id, SUM(r.amount) AS total, "
           "SUM(CASE WHEN r.day = k.day THEN r.amount ELSE 0 END) AS in_day, "
           "SUM(CASE WHEN r.month = k.month THEN r.amount ELSE 0 END) AS in_month "
           "FROM res r JOIN api_keys k ON k.id = r.key_id GROUP BY r.key_id), "
           "refunded AS (UPDATE api_keys k SET credits = k.credits + p.total, "
           "day_spent = GREATEST(0, k.day_spent - p.in_day), "
           "month_spent = GREATEST(0, k.month_spent - p.in_month) "
           "FROM per_key p WHERE k.id = p.key_id RETURNING 1) "
           "SELECT COUNT(*) FROM res"},
      // One statement, one snapshot. The sums are numeric (no overflow); as text they are
      // parsed into int64 or reported as not fitting.
      {"audit",
       "SELECT k.id, k.credits, "
       "COALESCE((SELECT SUM(amount) FROM credit_grants g WHERE g.key_id = k.id), 0)::text, "
       "COALESCE((SELECT SUM(cost) FROM usage u WHERE u.key_id = k.id), 0)::text, "
       "COALESCE((SELECT SUM(amount) FROM reservations r WHERE r.key_id = k.id), 0)::text, "
       "(SELECT COUNT(*) FROM reservations r WHERE r.key_id = k.id), "
       "COALESCE((SELECT MIN(created_ms) FROM reservations r WHERE r.key_id = k.id), 0) "
       "FROM api_keys k ORDER BY k.id"},
      {"usage", "SELECT " + kUsageColumns +
                    " FROM usage WHERE ($1 = '' OR key_id = $1) AND created_ms >= $2::bigint "
                    "ORDER BY created_ms, request_id LIMIT $3::bigint"},
      {"recent_usage", "SELECT " + kUsageColumns +
                           " FROM usage WHERE ($1 = '' OR key_id = $1) AND created_ms >= "
                           "$2::bigint ORDER BY created_ms DESC, request_id DESC LIMIT $3::bigint"},
      {"usage_by_request", "SELECT " + kUsageColumns + " FROM usage WHERE request_id = $1"},
      // $1 id, $2 key, $3 messages, $4 bytes, $5 created_ms, $6 expired before, $7 responses
      // and $8 bytes kept per key. One statement, one snapshot: the DELETE does not see the row
      // the INSERT adds, so the ranking counts it in by hand (config keeps one response within
      // the byte budget, so it is never the one to go). Deletes the expired ones too.
      {"put_response",
       "WITH kept AS (INSERT INTO responses (id, key_id, messages, bytes, created_ms) "
       "VALUES ($1, $2, $3, $4::bigint, $5::bigint) ON CONFLICT (id) DO NOTHING), "
       "ranked AS (SELECT id, ROW_NUMBER() OVER w AS n, SUM(bytes) OVER w AS total FROM "
       "(SELECT id, bytes, created_ms FROM responses WHERE key_id = $2 AND id <> $1 "
       "AND created_ms >= $6::bigint UNION ALL SELECT $1, $4::bigint, $5::bigint) r "
       "WINDOW w AS (ORDER BY created_ms DESC, id DESC)) "
       "DELETE FROM responses WHERE created_ms < $6::bigint OR (key_id = $2 AND id IN "
       "(SELECT id FROM ranked WHERE n > $7::bigint OR total > $8::bigint))"},
      {"response_messages",
       "SELECT messages FROM responses WHERE id = $1 AND key_id = $2 AND created_ms >= "
       "$3::bigint"},
  };
}

ApiKeyRecord read_key(const PgResult& r, int row = 0) {
  ApiKeyRecord k;
  k.id = r.text(row, 0);
  k.name = r.text(row, 1);
  k.credits = r.i64(row, 2);
  k.rpm = r.i64(row, 3);
  k.tpm = r.i64(row, 4);
  k.daily_limit = r.i64(row, 5);
  k.monthly_limit = r.i64(row, 6);
  k.models = nlohmann::json::parse(r.text(row, 7)).get<std::vector<std::string>>();
  k.disabled = r.boolean(row, 8);
  k.created_ms = r.i64(row, 9);
  return k;
}

UsageRecord read_usage(const PgResult& r, int row) {
  UsageRecord u;
  u.request_id = r.text(row, 0);
  u.key_id = r.text(row, 1);
  u.model = r.text(row, 2);
  u.provider = r.text(row, 3);
  u.tokens.prompt_tokens = r.i64(row, 4);
  u.tokens.completion_tokens = r.i64(row, 5);
  u.tokens.reasoning_tokens = r.i64(row, 6);
  u.tokens.cached_tokens = r.i64(row, 7);
  u.cost = r.i64(row, 8);
  u.latency_ms = r.f64(row, 9);
  u.ttft_ms = r.f64(row, 10);
  u.status = r.text(row, 11);
  u.http_status = static_cast<int>(r.i64(row, 12));
  u.streamed = r.boolean(row, 13);
  u.created_ms = r.i64(row, 14);
  return u;
}

std::string num(int64_t v) {
  return std::to_string(v);
}

// Doubles round-trip exactly through 17 significant digits.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

PostgresStore::PostgresStore(const std::string& url, int max_connections)
    : pool_(std::make_unique<PostgresPool>(url, kSchema, statements(), max_connections)) {}

PostgresStore::~PostgresStore() = default;

void PostgresStore::create_key(const ApiKeyRecord& k, const std::string& key_hash) {
  pool_->exec("create_key",
              {k.id, k.name, num(k.credits), num(k.rpm), num(k.tpm), num(k.daily_limit),
               num(k.monthly_limit), nlohmann::json(k.models).dump(), k.disabled ? "true" : "false",
               num(k.created_ms), key_hash});
}

std::optional<ApiKeyRecord> PostgresStore::key_where(const char* statement,
                                                     const std::string& value) {
  const PgResult r = pool_->exec(statement, {value});
  if (r.rows() == 0) return std::nullopt;
  return read_key(r);
}

std::optional<ApiKeyRecord> PostgresStore::key_by_hash(const std::string& h) {
  return key_where("key_by_hash", h);
}

std::optional<ApiKeyRecord> PostgresStore::key_by_id(const std::string& id) {
  return key_where("key_by_id", id);
}

std::vector<ApiKeyRecord> PostgresStore::list_keys(int64_t limit) {
  const PgResult r = pool_->exec("list_keys", {num(limit)});
  std::vector<ApiKeyRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_key(r, i));
  return out;
}

bool PostgresStore::set_key_limits(const ApiKeyRecord& k) {
  return pool_
             ->exec("set_key_limits",
                    {k.id, num(k.rpm), num(k.tpm), num(k.daily_limit), num(k.monthly_limit)})
             .affected() > 0;
}

bool PostgresStore::disable_key(const std::string& id) {
  return pool_->exec("disable_key", {id}).affected() > 0;
}

GrantResult PostgresStore::add_credits(const CreditGrant& g, NanoUsd* balance) {
  const PgResult r =
      pool_->exec("add_credits", {g.id, g.key_id, num(g.amount), num(g.created_ms), g.note});
  if (r.rows() > 0) {
    *balance = r.i64(0, 0);
    return GrantResult::kOk;
  }
  const PgResult state = pool_->exec("grant_state", {g.id, g.key_id});
  if (state.rows() == 0) return GrantResult::kNoSuchKey;
  *balance = state.i64(0, 0);
  return state.boolean(0, 1) ? GrantResult::kOk : GrantResult::kOverflow;
}

ReserveResult PostgresStore::reserve(const ReservationRecord& r) {
  if (r.amount < 0) throw Error("store: a reservation cannot be negative");
  const std::vector<std::string> params = {r.key_id,
                                           num(r.amount),
                                           num(utc_day(r.created_ms)),
                                           num(utc_month(r.created_ms)),
                                           r.request_id,
                                           r.model,
                                           r.owner,
                                           num(r.created_ms)};
  if (pool_->exec("reserve", params).affected() > 0) return ReserveResult::kOk;
  const PgResult why =
      pool_->exec("refusal", {params[0], params[1], params[2], params[3], params[4]});
  if (why.rows() == 0) return ReserveResult::kNoSuchKey;
  switch (why.i64(0, 0)) {
    case 4:
      return ReserveResult::kOk;
    case 0:
      return ReserveResult::kNoSuchKey;
    case 1:
      return ReserveResult::kInsufficientCredits;
    case 2:
      return ReserveResult::kDailyLimit;
    default:
      return ReserveResult::kMonthlyLimit;
  }
}

SettleResult PostgresStore::settle(UsageRecord u) {
  const PgResult r =
      pool_->exec("settle", {u.request_id, u.model, u.provider, num(u.tokens.prompt_tokens),
                             num(u.tokens.completion_tokens), num(u.tokens.reasoning_tokens),
                             num(u.tokens.cached_tokens), num(u.cost), num(u.latency_ms),
                             num(u.ttft_ms), u.status, num(int64_t{u.http_status}),
                             u.streamed ? "true" : "false", num(u.created_ms)});
  return r.rows() > 0 ? SettleResult::kSettled : SettleResult::kNotOpen;
}

int64_t PostgresStore::abandon_reservations(const std::string& owner, int64_t created_before_ms,
                                            int64_t now_ms) {
  return pool_->exec("abandon", {owner, num(created_before_ms), num(now_ms)}).i64(0, 0);
}

std::vector<KeyAudit> PostgresStore::audit() {
  const PgResult r = pool_->exec("audit", {});
  std::vector<KeyAudit> out;
  for (int i = 0; i < r.rows(); ++i) {
    KeyAudit a;
    a.key_id = r.text(i, 0);
    a.balance = r.i64(i, 1);
    const auto sum = [&](int col) -> std::optional<int64_t> {
      const std::string t = r.text(i, col);
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
      return v;
    };
    const auto granted = sum(2), settled = sum(3), reserved = sum(4);
    a.granted = granted.value_or(0);
    a.settled = settled.value_or(0);
    a.reserved = reserved.value_or(0);
    a.open_reservations = r.i64(i, 5);
    a.oldest_reservation_ms = r.i64(i, 6);
    if (granted && settled && reserved)
      a.drift = ledger_drift(a.granted, a.balance, a.settled, a.reserved);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<UsageRecord> PostgresStore::usage(const std::string& key_id, int64_t since_ms,
                                              int64_t limit) {
  const PgResult r = pool_->exec("usage", {key_id, num(since_ms), num(limit)});
  std::vector<UsageRecord> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_usage(r, i));
  return out;
}

std::vector<UsageRecord> PostgresStore::recent_usage(const std::string& key_id, int64_t since_ms,
                                                     int64_t limit) {
  const PgResult r = pool_->exec("recent_usage", {key_id, num(since_ms), num(limit)});
  std::vector<UsageRecord> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_usage(r, i));
  return out;
}

std::optional<UsageRecord> PostgresStore::usage_by_request(const std::string& request_id) {
  const PgResult r = pool_->exec("usage_by_request", {request_id});
  if (r.rows() == 0) return std::nullopt;
  return read_usage(r, 0);
}

void PostgresStore::put_response(const StoredResponse& r, const ResponseRetention& retention) {
  pool_->exec("put_response",
              {r.id, r.key_id, r.messages, num(static_cast<int64_t>(r.messages.size())),
               num(r.created_ms), num(r.created_ms - retention.ttl_ms), num(retention.max_per_key),
               num(retention.max_bytes_per_key)});
}

std::optional<std::string> PostgresStore::response_messages(const std::string& id,
                                                            const std::string& key_id,
                                                            int64_t not_before_ms) {
  const PgResult r = pool_->exec("response_messages", {id, key_id, num(not_before_ms)});
  if (r.rows() == 0) return std::nullopt;
  return r.text(0, 0);
}

}  // namespace junction::gateway
