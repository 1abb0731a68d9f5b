#include "gateway/postgres_store.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "gateway/postgres_pool.h"
#include "gateway/spend_period.h"

namespace junction::gateway {
namespace {

// One transaction; the advisory lock makes gateways that start together create it one after the
// other (CREATE ... IF NOT EXISTS alone races on the catalog). Money columns: nano-USD.
constexpr const char* kSchema = R"sql(
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT pg_advisory_xact_lock(7403616923180155001);
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

std::vector<PreparedSql> statements() {
  return {
      {"create_key", "INSERT INTO api_keys (" + kKeyColumns +
                         ", key_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"},
      {"key_by_hash", "SELECT " + kKeyColumns + " FROM api_keys WHERE key_hash = $1"},
      {"key_by_id", "SELECT " + kKeyColumns + " FROM api_keys WHERE id = $1"},
      {"disable_key", "UPDATE api_keys SET disabled = TRUE WHERE id = $1"},
      {"add_credits",
       "UPDATE api_keys SET credits = credits + $2::bigint WHERE id = $1 RETURNING credits"},
      // PostgreSQL re-evaluates the WHERE on the newest row version once it holds the row
      // lock, so two reservations racing for the last credits cannot both pass.
      {"reserve", "UPDATE api_keys SET credits = credits - $2::bigint, day_spent = " + kDaySpent +
                      " + $2::bigint, day = $3::bigint, month_spent = " + kMonthSpent +
                      " + $2::bigint, month = $4::bigint "
                      "WHERE id = $1 AND NOT disabled AND credits >= $2::bigint "
                      "AND (daily_limit = 0 OR " +
                      kDaySpent + " + $2::bigint <= daily_limit) AND (monthly_limit = 0 OR " +
                      kMonthSpent + " + $2::bigint <= monthly_limit)"},
      // Why a reservation was refused: 0 key disabled, 1 credits, 2 daily, 3 monthly limit.
      {"refusal",
       "SELECT CASE WHEN disabled THEN 0 WHEN credits < $2::bigint THEN 1 "
       "WHEN daily_limit <> 0 AND " +
           kDaySpent +
           " + $2::bigint > daily_limit THEN 2 ELSE 3 END "
           "FROM api_keys WHERE id = $1"},
      // One statement: the record and the refund commit together. ON CONFLICT makes a resent
      // settle (after a connection lost mid-call) a no-op instead of a second refund.
      {"settle", "WITH recorded AS (INSERT INTO usage (" + kUsageColumns +
                     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
                     "ON CONFLICT (request_id) DO NOTHING RETURNING key_id) "
                     "UPDATE api_keys SET credits = credits + $16::bigint, "
                     "day_spent = GREATEST(0, day_spent - $16::bigint), "
                     "month_spent = GREATEST(0, month_spent - $16::bigint) "
                     "WHERE id IN (SELECT key_id FROM recorded)"},
      {"usage", "SELECT " + kUsageColumns +
                    " FROM usage WHERE ($1 = '' OR key_id = $1) AND created_ms >= $2::bigint "
                    "ORDER BY created_ms, request_id LIMIT $3::bigint"},
      {"usage_by_request", "SELECT " + kUsageColumns + " FROM usage WHERE request_id = $1"},
  };
}

ApiKeyRecord read_key(const PgResult& r) {
  ApiKeyRecord k;
  k.id = r.text(0, 0);
  k.name = r.text(0, 1);
  k.credits = r.i64(0, 2);
  k.rpm = r.i64(0, 3);
  k.tpm = r.i64(0, 4);
  k.daily_limit = r.i64(0, 5);
  k.monthly_limit = r.i64(0, 6);
  k.models = nlohmann::json::parse(r.text(0, 7)).get<std::vector<std::string>>();
  k.disabled = r.boolean(0, 8);
  k.created_ms = r.i64(0, 9);
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

bool PostgresStore::disable_key(const std::string& id) {
  return pool_->exec("disable_key", {id}).affected() > 0;
}

std::optional<NanoUsd> PostgresStore::add_credits(const std::string& id, NanoUsd amount) {
  const PgResult r = pool_->exec("add_credits", {id, num(amount)});
  if (r.rows() == 0) return std::nullopt;
  return r.i64(0, 0);
}

ReserveResult PostgresStore::reserve(const std::string& key_id, NanoUsd amount, int64_t now_ms) {
  const std::vector<std::string> params = {key_id, num(amount), num(utc_day(now_ms)),
                                           num(utc_month(now_ms))};
  if (pool_->exec("reserve", params).affected() > 0) return ReserveResult::kOk;
  const PgResult why = pool_->exec("refusal", {params[0], params[1], params[2]});
  if (why.rows() == 0) return ReserveResult::kNoSuchKey;
  switch (why.i64(0, 0)) {
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

void PostgresStore::settle(NanoUsd reserved, UsageRecord u) {
  u.cost = std::min(u.cost, reserved);
  pool_->exec("settle", {u.request_id, u.key_id, u.model, u.provider, num(u.tokens.prompt_tokens),
                         num(u.tokens.completion_tokens), num(u.tokens.reasoning_tokens),
                         num(u.tokens.cached_tokens), num(u.cost), num(u.latency_ms),
                         num(u.ttft_ms), u.status, num(int64_t{u.http_status}),
                         u.streamed ? "true" : "false", num(u.created_ms), num(reserved - u.cost)});
}

std::vector<UsageRecord> PostgresStore::usage(const std::string& key_id, int64_t since_ms,
                                              int64_t limit) {
  const PgResult r = pool_->exec("usage", {key_id, num(since_ms), num(limit)});
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

}  // namespace junction::gateway
