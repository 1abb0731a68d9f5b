// Both Store implementations against the same tests: SQLite in a temp file, PostgreSQL in a
// fresh database on a server this process starts (tests/support/postgres_server.h). The
// invariants: keys are found by hash only, reserve never lets the balance go negative whatever
// the concurrency (threads, and several Store objects sharing the database, as several gateway
// processes do), settle refunds and records together, day and month limits roll over.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "core/error.h"
#include "gateway/key_hash.h"
#include "gateway/postgres_pool.h"
#include "gateway/postgres_store.h"
#include "gateway/sqlite_store.h"
#include "tests/support/postgres_server.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;

int64_t unix_ms(std::chrono::sys_days day, int hour = 0) {
  using namespace std::chrono;
  return duration_cast<milliseconds>((day + hours(hour)).time_since_epoch()).count();
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { postgres_.reset(); }

  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    if (GetParam() == "postgres") {
      // Missing server binaries fail the test (with what to install), they do not skip it.
      if (!postgres_) postgres_ = std::make_unique<test::PostgresServer>();
      url_ = postgres_->create_database("t_" + name);
    } else {
      path_ = fs::temp_directory_path() /
              ("junction-store-" + std::to_string(::getpid()) + "-" + name + ".db");
      fs::remove(path_);
    }
  }
  void TearDown() override {
    if (!path_.empty())
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
  }

  // A new Store on this test's database; several may be open at once.
  std::unique_ptr<Store> open() {
    if (GetParam() == "postgres") return std::make_unique<PostgresStore>(url_);
    return std::make_unique<SqliteStore>(path_.string());
  }

  ApiKeyRecord key(NanoUsd credits) {
    ApiKeyRecord k;
    k.id = "key_" + random_hex(4);
    k.name = "t";
    k.credits = credits;
    k.models = {"m"};
    return k;
  }

  // A reservation of `amount` for request `request_id` at `now_ms`.
  static ReservationRecord hold(const std::string& request_id, const std::string& key_id,
                                NanoUsd amount, int64_t now_ms = 0,
                                const std::string& owner = "gw-a") {
    ReservationRecord r;
    r.request_id = request_id;
    r.key_id = key_id;
    r.model = "m";
    r.owner = owner;
    r.amount = amount;
    r.created_ms = now_ms;
    return r;
  }

  static CreditGrant grant(const std::string& id, const std::string& key_id, NanoUsd amount) {
    CreditGrant g;
    g.id = id;
    g.key_id = key_id;
    g.amount = amount;
    g.note = "test";
    return g;
  }

  // The key's audit line; fails the test if the ledger does not add up.
  static KeyAudit audited(Store& s, const std::string& key_id) {
    for (const KeyAudit& a : s.audit())
      if (a.key_id == key_id) {
        EXPECT_EQ(a.drift, std::optional<NanoUsd>(0))
            << "granted " << a.granted << " balance " << a.balance << " settled " << a.settled
            << " reserved " << a.reserved;
        return a;
      }
    ADD_FAILURE() << "no audit line for " << key_id;
    return {};
  }

  static UsageRecord record(const std::string& request_id, const std::string& key_id,
                            NanoUsd cost) {
    UsageRecord u;
    u.request_id = request_id;
    u.key_id = key_id;
    u.model = "m";
    u.cost = cost;
    return u;
  }

  static inline std::unique_ptr<test::PostgresServer> postgres_;
  fs::path path_;
  std::string url_;
};

TEST_P(StoreTest, KeysAreFoundByHashOnly) {
  auto s = open();
  const ApiKeyRecord k = key(100);
  const std::string secret = new_api_key();
  s->create_key(k, hash_api_key("pepper", secret));
  EXPECT_TRUE(s->key_by_hash(hash_api_key("pepper", secret)));
  EXPECT_FALSE(s->key_by_hash(hash_api_key("other", secret)));
  EXPECT_FALSE(s->key_by_hash(secret));
  const auto back = s->key_by_id(k.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->credits, 100);
  EXPECT_EQ(back->name, "t");
  EXPECT_EQ(back->models, std::vector<std::string>{"m"});
  EXPECT_FALSE(back->disabled);
  NanoUsd balance = 0;
  EXPECT_EQ(s->add_credits(grant("g1", k.id, 50), &balance), GrantResult::kOk);
  EXPECT_EQ(balance, 150);
  EXPECT_EQ(s->add_credits(grant("g2", "key_nope", 50), &balance), GrantResult::kNoSuchKey);
  EXPECT_TRUE(s->disable_key(k.id));
  EXPECT_FALSE(s->disable_key("key_nope"));
  EXPECT_TRUE(s->key_by_id(k.id)->disabled);
  EXPECT_EQ(s->reserve(hold("gen-1", k.id, 1)), ReserveResult::kNoSuchKey);
  EXPECT_EQ(s->reserve(hold("gen-2", "key_nope", 1)), ReserveResult::kNoSuchKey);
}

TEST_P(StoreTest, ListsKeysNewestFirstAndSetsTheirLimits) {
  auto s = open();
  EXPECT_TRUE(s->list_keys(10).empty());
  std::vector<std::string> ids;
  for (int64_t t : {3000, 1000, 2000}) {
    ApiKeyRecord k = key(t);
    k.created_ms = t;
    k.rpm = t / 1000;
    k.daily_limit = 7;
    k.monthly_limit = 9;
    s->create_key(k, hash_api_key("pepper", k.id));
    ids.push_back(k.id);
  }
  EXPECT_TRUE(s->disable_key(ids[0]));
  const auto all = s->list_keys(10);
  ASSERT_EQ(all.size(), 3u);
  // Created at 3000, 2000, 1000 ms.
  EXPECT_EQ(all[0].id, ids[0]);
  EXPECT_EQ(all[1].id, ids[2]);
  EXPECT_EQ(all[2].id, ids[1]);
  EXPECT_TRUE(all[0].disabled);
  EXPECT_EQ(all[0].credits, 3000);
  EXPECT_EQ(all[0].rpm, 3);
  EXPECT_EQ(all[0].daily_limit, 7);
  EXPECT_EQ(all[0].monthly_limit, 9);
  EXPECT_EQ(all[0].models, std::vector<std::string>{"m"});
  EXPECT_EQ(all[2].created_ms, 1000);
  const auto two = s->list_keys(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].id, ids[2]);

  // New limits, and nothing else changes.
  ApiKeyRecord limits = all[2];
  limits.rpm = 11;
  limits.tpm = 22;
  limits.daily_limit = 33;
  limits.monthly_limit = 44;
  limits.credits = 999;
  limits.name = "other";
  EXPECT_TRUE(s->set_key_limits(limits));
  const auto back = s->key_by_id(ids[1]);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->rpm, 11);
  EXPECT_EQ(back->tpm, 22);
  EXPECT_EQ(back->daily_limit, 33);
  EXPECT_EQ(back->monthly_limit, 44);
  EXPECT_EQ(back->credits, 1000);
  EXPECT_EQ(back->name, "t");
  limits.id = "key_nope";
  EXPECT_FALSE(s->set_key_limits(limits));
  audited(*s, ids[1]);
}

TEST_P(StoreTest, RecentUsageIsTheLatestNewestFirst) {
  auto s = open();
  const ApiKeyRecord a = key(1000), b = key(1000);
  s->create_key(a, hash_api_key("pepper", a.id));
  s->create_key(b, hash_api_key("pepper", b.id));
  // Settled at 10, 20, 30, 40 ms: gen-1 and gen-3 by a, gen-2 and gen-4 by b.
  for (int i = 1; i <= 4; ++i) {
    const std::string& id = i % 2 ? a.id : b.id;
    const std::string request = "gen-" + std::to_string(i);
    ASSERT_EQ(s->reserve(hold(request, id, 10, i * 10)), ReserveResult::kOk);
    UsageRecord u = record(request, id, 1);
    u.created_ms = i * 10;
    ASSERT_EQ(s->settle(u), SettleResult::kSettled);
  }
  const auto ids = [](const std::vector<UsageRecord>& list) {
    std::vector<std::string> out;
    for (const auto& u : list) out.push_back(u.request_id);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(s->recent_usage("", 0, 10)), (V{"gen-4", "gen-3", "gen-2", "gen-1"}));
  EXPECT_EQ(ids(s->recent_usage("", 0, 2)), (V{"gen-4", "gen-3"}));
  EXPECT_EQ(ids(s->usage("", 0, 2)), (V{"gen-1", "gen-2"}));
  EXPECT_EQ(ids(s->recent_usage(a.id, 0, 10)), (V{"gen-3", "gen-1"}));
  EXPECT_EQ(ids(s->recent_usage("", 20, 10)), (V{"gen-4", "gen-3", "gen-2"}));
  EXPECT_TRUE(s->recent_usage("' OR '1'='1", 0, 10).empty());
}

TEST_P(StoreTest, ValuesNeverBecomeSql) {
  auto s = open();
  ApiKeyRecord k = key(100);
  k.name = "x'); DROP TABLE api_keys; -- \"$1 ? ñ";
  s->create_key(k, "h'--");
  EXPECT_EQ(s->key_by_id(k.id)->name, k.name);
  EXPECT_TRUE(s->key_by_hash("h'--"));
  EXPECT_FALSE(s->key_by_id("' OR '1'='1"));
  EXPECT_FALSE(s->key_by_hash("' OR 1=1 --"));
  EXPECT_TRUE(s->usage("' OR '1'='1", 0, 10).empty());
}

TEST_P(StoreTest, ReserveRefusesWhatTheBalanceCannotCoverAndSettleRefunds) {
  auto s = open();
  const ApiKeyRecord k = key(1000);
  s->create_key(k, "h");
  EXPECT_EQ(s->reserve(hold("gen-0", k.id, 1001)), ReserveResult::kInsufficientCredits);
  EXPECT_EQ(s->reserve(hold("gen-1", k.id, 700)), ReserveResult::kOk);
  EXPECT_EQ(s->key_by_id(k.id)->credits, 300);
  UsageRecord u = record("gen-1", k.id, 200);
  u.provider = "p";
  u.tokens = {10, 5, 1, 2};
  u.latency_ms = 12.5;
  u.ttft_ms = 3.25;
  u.status = "ok";
  u.http_status = 200;
  u.streamed = true;
  u.created_ms = 1234;
  EXPECT_EQ(s->settle(u), SettleResult::kSettled);
  EXPECT_EQ(s->key_by_id(k.id)->credits, 800);
  const auto r = s->usage_by_request("gen-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->key_id, k.id);
  EXPECT_EQ(r->provider, "p");
  EXPECT_EQ(r->cost, 200);
  EXPECT_EQ(r->tokens.prompt_tokens, 10);
  EXPECT_EQ(r->tokens.completion_tokens, 5);
  EXPECT_EQ(r->tokens.reasoning_tokens, 1);
  EXPECT_EQ(r->tokens.cached_tokens, 2);
  EXPECT_EQ(r->latency_ms, 12.5);
  EXPECT_EQ(r->ttft_ms, 3.25);
  EXPECT_EQ(r->status, "ok");
  EXPECT_EQ(r->http_status, 200);
  EXPECT_TRUE(r->streamed);
  EXPECT_EQ(r->created_ms, 1234);
  EXPECT_FALSE(s->usage_by_request("gen-2"));
  EXPECT_EQ(s->usage(k.id, 0, 10).size(), 1u);
  EXPECT_EQ(s->usage("", 0, 10).size(), 1u);
  EXPECT_TRUE(s->usage(k.id, 1235, 10).empty());
  // A cost above the reservation is clamped to it.
  EXPECT_EQ(s->reserve(hold("gen-2", k.id, 100)), ReserveResult::kOk);
  EXPECT_EQ(s->settle(record("gen-2", k.id, 150)), SettleResult::kSettled);
  EXPECT_EQ(s->usage_by_request("gen-2")->cost, 100);
  EXPECT_EQ(s->key_by_id(k.id)->credits, 700);
  // A negative cost is no credit.
  EXPECT_EQ(s->reserve(hold("gen-3", k.id, 100)), ReserveResult::kOk);
  EXPECT_EQ(s->settle(record("gen-3", k.id, -50)), SettleResult::kSettled);
  EXPECT_EQ(s->usage_by_request("gen-3")->cost, 0);
  EXPECT_EQ(s->key_by_id(k.id)->credits, 700);
  audited(*s, k.id);
}

TEST_P(StoreTest, DailyLimit) {
  auto s = open();
  ApiKeyRecord k = key(10'000);
  k.daily_limit = 500;
  s->create_key(k, "h");
  const int64_t day = 86'400'000;
  EXPECT_EQ(s->reserve(hold("gen-a", k.id, 400, 5 * day)), ReserveResult::kOk);
  EXPECT_EQ(s->reserve(hold("gen-b", k.id, 200, 5 * day + 10)), ReserveResult::kDailyLimit);
  // What settle returns leaves the day's spend: 400 reserved, 100 used.
  s->settle(record("gen-a", k.id, 100));
  EXPECT_EQ(s->reserve(hold("gen-c", k.id, 400, 5 * day + 20)), ReserveResult::kOk);
  EXPECT_EQ(s->reserve(hold("gen-d", k.id, 200, 6 * day)), ReserveResult::kOk);  // a new UTC day
  EXPECT_EQ(s->key_by_id(k.id)->credits, 10'000 - 100 - 400 - 200);
}

TEST_P(StoreTest, MonthlyLimitRollsOverOnTheCalendarMonth) {
  using namespace std::chrono;
  auto s = open();
  ApiKeyRecord k = key(100'000);
  k.monthly_limit = 1000;
  k.daily_limit = 800;
  s->create_key(k, "h");
  EXPECT_EQ(s->key_by_id(k.id)->monthly_limit, 1000);
  EXPECT_EQ(s->reserve(hold("gen-1", k.id, 700, unix_ms(sys_days{2026y / January / 30}, 12))),
            ReserveResult::kOk);
  // Another day, the same month: the daily limit allows it, the monthly one does not.
  EXPECT_EQ(s->reserve(hold("gen-2", k.id, 400, unix_ms(sys_days{2026y / January / 31}, 23))),
            ReserveResult::kMonthlyLimit);
  EXPECT_EQ(s->reserve(hold("gen-3", k.id, 300, unix_ms(sys_days{2026y / January / 31}, 23))),
            ReserveResult::kOk);
  // February: a new month (and day).
  EXPECT_EQ(s->reserve(hold("gen-m", k.id, 800, unix_ms(sys_days{2026y / February / 1}, 0))),
            ReserveResult::kOk);
  EXPECT_EQ(s->reserve(hold("gen-4", k.id, 300, unix_ms(sys_days{2026y / February / 2}, 0))),
            ReserveResult::kMonthlyLimit);
  // Refunds leave the month's spend: 800 reserved, 100 used.
  s->settle(record("gen-m", k.id, 100));
  EXPECT_EQ(s->reserve(hold("gen-5", k.id, 300, unix_ms(sys_days{2026y / February / 2}, 0))),
            ReserveResult::kOk);
  // The daily limit still applies on its own.
  EXPECT_EQ(s->reserve(hold("gen-6", k.id, 600, unix_ms(sys_days{2026y / February / 2}, 1))),
            ReserveResult::kDailyLimit);
  // Credits are checked first.
  EXPECT_EQ(s->reserve(hold("gen-7", k.id, 200'000, unix_ms(sys_days{2026y / March / 2}, 1))),
            ReserveResult::kInsufficientCredits);
}

// Settles a few hundred reservations from `n_threads` threads per store; the balance never goes
// negative and equals what was granted minus the recorded costs.
void spend_concurrently(std::vector<Store*> stores, const std::string& key_id, int n_threads) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (Store* s : stores)
    for (int t = 0; t < n_threads; ++t)
      threads.emplace_back([&, s] {
        for (int i = 0; i < 20; ++i) {
          ReservationRecord r;
          r.request_id = "gen-" + std::to_string(next++);
          r.key_id = key_id;
          r.model = "m";
          r.amount = 300;
          if (s->reserve(r) != ReserveResult::kOk) continue;
          UsageRecord u;
          u.request_id = r.request_id;
          u.key_id = key_id;
          u.model = "m";
          u.cost = 100 + (i % 3) * 50;
          s->settle(u);
        }
      });
  for (auto& t : threads) t.join();
}

TEST_P(StoreTest, ConcurrentReservationsNeverOverspend) {
  auto s = open();
  const ApiKeyRecord k = key(10'000);
  s->create_key(k, "h");
  spend_concurrently({s.get()}, k.id, 16);
  NanoUsd spent = 0;
  for (const auto& u : s->usage(k.id, 0, 100000)) spent += u.cost;
  const NanoUsd left = s->key_by_id(k.id)->credits;
  EXPECT_GE(left, 0);
  EXPECT_EQ(left + spent, 10'000);
  EXPECT_LT(left, 300);  // it ran until no reservation fit
  EXPECT_EQ(audited(*s, k.id).reserved, 0);
}

TEST_P(StoreTest, StoresSharingTheDatabaseNeverOverspend) {
  // Three Store objects are what three gateway processes on one database look like to it.
  auto a = open(), b = open(), c = open();
  const ApiKeyRecord k = key(20'000);
  a->create_key(k, "h");
  spend_concurrently({a.get(), b.get(), c.get()}, k.id, 6);
  NanoUsd spent = 0;
  for (const auto& u : c->usage(k.id, 0, 100000)) spent += u.cost;
  const NanoUsd left = b->key_by_id(k.id)->credits;
  EXPECT_GE(left, 0);
  EXPECT_EQ(left + spent, 20'000);
  EXPECT_LT(left, 300);
}

TEST_P(StoreTest, StoresOpeningANewDatabaseTogetherAllStart) {
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(6);
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      try {
        auto s = open();
        s->create_key(key(1), "h" + std::to_string(t));
        ++opened;
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), 6) << errors[0] << errors[1] << errors[2] << errors[3] << errors[4]
                              << errors[5];
}

// The ledger's rule after each kind of step: granted - balance = settled + reserved, with each
// sum worked out by hand.
TEST_P(StoreTest, AuditAddsUpAfterEveryStep) {
  auto s = open();
  const ApiKeyRecord k = key(1000);
  s->create_key(k, "h");
  KeyAudit a = audited(*s, k.id);
  EXPECT_EQ(a.granted, 1000);
  NanoUsd balance = 0;
  ASSERT_EQ(s->add_credits(grant("g-1", k.id, 500), &balance), GrantResult::kOk);
  ASSERT_EQ(s->add_credits(grant("g-2", k.id, -200), &balance), GrantResult::kOk);
  EXPECT_EQ(balance, 1300);
  ASSERT_EQ(s->reserve(hold("gen-1", k.id, 400, 10)), ReserveResult::kOk);
  ASSERT_EQ(s->reserve(hold("gen-2", k.id, 300, 20)), ReserveResult::kOk);
  a = audited(*s, k.id);
  EXPECT_EQ(a.granted, 1300);
  EXPECT_EQ(a.balance, 600);
  EXPECT_EQ(a.reserved, 700);
  EXPECT_EQ(a.open_reservations, 2);
  EXPECT_EQ(a.oldest_reservation_ms, 10);
  ASSERT_EQ(s->settle(record("gen-1", k.id, 150)), SettleResult::kSettled);
  a = audited(*s, k.id);
  EXPECT_EQ(a.balance, 850);
  EXPECT_EQ(a.settled, 150);
  EXPECT_EQ(a.reserved, 300);
  EXPECT_EQ(s->abandon_reservations("", 21, 99), 1);
  a = audited(*s, k.id);
  EXPECT_EQ(a.balance, 1150);
  EXPECT_EQ(a.reserved, 0);
  EXPECT_EQ(a.open_reservations, 0);
  const auto abandoned = s->usage_by_request("gen-2");
  ASSERT_TRUE(abandoned);
  EXPECT_EQ(abandoned->status, "abandoned");
  EXPECT_EQ(abandoned->cost, 0);
  EXPECT_EQ(abandoned->created_ms, 99);
}

// The PostgreSQL pool sends a statement again when its connection broke, and it may have
// committed the first time: every money-moving call, made twice, acts once.
TEST_P(StoreTest, ResentCallsActOnce) {
  auto s = open();
  const ApiKeyRecord k = key(1000);
  s->create_key(k, "h");
  NanoUsd balance = 0;
  ASSERT_EQ(s->add_credits(grant("top-up-7", k.id, 500), &balance), GrantResult::kOk);
  ASSERT_EQ(s->add_credits(grant("top-up-7", k.id, 500), &balance), GrantResult::kOk);
  EXPECT_EQ(balance, 1500);
  ASSERT_EQ(s->reserve(hold("gen-1", k.id, 400)), ReserveResult::kOk);
  ASSERT_EQ(s->reserve(hold("gen-1", k.id, 400)), ReserveResult::kOk);
  EXPECT_EQ(s->key_by_id(k.id)->credits, 1100);
  ASSERT_EQ(s->settle(record("gen-1", k.id, 100)), SettleResult::kSettled);
  EXPECT_EQ(s->settle(record("gen-1", k.id, 100)), SettleResult::kNotOpen);
  EXPECT_EQ(s->key_by_id(k.id)->credits, 1400);
  // Settling what was never reserved changes nothing either.
  EXPECT_EQ(s->settle(record("gen-x", k.id, 100)), SettleResult::kNotOpen);
  EXPECT_FALSE(s->usage_by_request("gen-x"));
  const KeyAudit a = audited(*s, k.id);
  EXPECT_EQ(a.granted, 1500);
  EXPECT_EQ(a.settled, 100);
}

// A refund belongs to the day its reservation counted in: one taken before midnight and
// settled after it must not lower the new day's spend (it used to: "day_spent - refund" on
// whatever day the key was in).
TEST_P(StoreTest, ARefundLeavesOnlyItsOwnDaysSpend) {
  auto s = open();
  ApiKeyRecord k = key(10'000);
  k.daily_limit = 500;
  s->create_key(k, "h");
  const int64_t day = 86'400'000;
  ASSERT_EQ(s->reserve(hold("gen-late", k.id, 400, 6 * day - 1)), ReserveResult::kOk);
  ASSERT_EQ(s->reserve(hold("gen-new", k.id, 300, 6 * day + 1)), ReserveResult::kOk);
  ASSERT_EQ(s->settle(record("gen-late", k.id, 0)), SettleResult::kSettled);
  // Day 6 has 300 reserved: another 300 is over its limit of 500.
  EXPECT_EQ(s->reserve(hold("gen-more", k.id, 300, 6 * day + 2)), ReserveResult::kDailyLimit);
  EXPECT_EQ(s->reserve(hold("gen-fits", k.id, 200, 6 * day + 3)), ReserveResult::kOk);
  audited(*s, k.id);
}

TEST_P(StoreTest, AbandonsAnInstancesOwnAndTooOldReservations) {
  auto s = open();
  const ApiKeyRecord k = key(1000);
  s->create_key(k, "h");
  ASSERT_EQ(s->reserve(hold("gen-a1", k.id, 100, 500, "gw-a")), ReserveResult::kOk);
  ASSERT_EQ(s->reserve(hold("gen-a2", k.id, 100, 600, "gw-a")), ReserveResult::kOk);
  ASSERT_EQ(s->reserve(hold("gen-b1", k.id, 100, 550, "gw-b")), ReserveResult::kOk);
  ASSERT_EQ(s->reserve(hold("gen-b2", k.id, 100, 900, "gw-b")), ReserveResult::kOk);
  EXPECT_EQ(s->abandon_reservations("gw-a", 0, 1000), 2);  // gw-a restarted
  EXPECT_EQ(s->abandon_reservations("", 600, 1000), 1);    // older than 600: gen-b1
  EXPECT_EQ(s->key_by_id(k.id)->credits, 900);
  EXPECT_TRUE(s->usage_by_request("gen-b1"));
  EXPECT_FALSE(s->usage_by_request("gen-b2"));
  // A settle that comes after its reservation was abandoned charges nothing.
  EXPECT_EQ(s->settle(record("gen-a1", k.id, 50)), SettleResult::kNotOpen);
  EXPECT_EQ(s->usage_by_request("gen-a1")->status, "abandoned");
  EXPECT_EQ(s->settle(record("gen-b2", k.id, 50)), SettleResult::kSettled);
  EXPECT_EQ(s->key_by_id(k.id)->credits, 950);
  audited(*s, k.id);
}

// int64 nano-USD is about 9.2e9 USD: a grant that would leave it is refused and changes
// nothing (SQLite would have turned the sum into a float; PostgreSQL failed the statement).
TEST_P(StoreTest, AGrantPastInt64IsRefused) {
  auto s = open();
  const ApiKeyRecord k = key(int64_t{1} << 62);
  s->create_key(k, "h");
  NanoUsd balance = 0;
  EXPECT_EQ(s->add_credits(grant("g-big", k.id, int64_t{1} << 62), &balance),
            GrantResult::kOverflow);
  EXPECT_EQ(s->key_by_id(k.id)->credits, int64_t{1} << 62);
  EXPECT_EQ(s->add_credits(grant("g-ok", k.id, (int64_t{1} << 62) - 1), &balance),
            GrantResult::kOk);
  EXPECT_EQ(balance, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(s->add_credits(grant("g-one", k.id, 1), &balance), GrantResult::kOverflow);
  const ApiKeyRecord low = key(0);
  s->create_key(low, "h2");
  EXPECT_EQ(s->add_credits(grant("g-neg", low.id, std::numeric_limits<int64_t>::min()), &balance),
            GrantResult::kOk);
  EXPECT_EQ(s->add_credits(grant("g-neg2", low.id, -1), &balance), GrantResult::kOverflow);
  EXPECT_EQ(s->key_by_id(low.id)->credits, std::numeric_limits<int64_t>::min());
}

// Responses API conversations (previous_response_id): what one store object keeps another one on
// the same database reads (a second replica, or the gateway after a restart), and only for the
// key that made them.
TEST_P(StoreTest, ResponsesAreSharedButOnlyWithTheirKey) {
  const ResponseRetention keep;
  {
    auto a = open();
    a->put_response({"resp_1", "key_a", R"([{"role":"user","content":"hi"}])", 1000}, keep);
  }
  auto b = open();
  EXPECT_EQ(b->response_messages("resp_1", "key_a", 0),
            std::optional<std::string>(R"([{"role":"user","content":"hi"}])"));
  EXPECT_EQ(b->response_messages("resp_1", "key_b", 0), std::nullopt);
  EXPECT_EQ(b->response_messages("resp_2", "key_a", 0), std::nullopt);
  EXPECT_EQ(b->response_messages("resp_1' OR '1'='1", "key_a", 0), std::nullopt);
  // Too old for the reader's cut-off: not readable even before anything deletes it.
  EXPECT_EQ(b->response_messages("resp_1", "key_a", 1001), std::nullopt);
  // Resent: the first one stays.
  b->put_response({"resp_1", "key_a", "[]", 1000}, keep);
  EXPECT_EQ(b->response_messages("resp_1", "key_a", 0),
            std::optional<std::string>(R"([{"role":"user","content":"hi"}])"));
}

// A key keeps its newest max_per_key responses within max_bytes_per_key, the others' untouched;
// past ttl_ms every key's go.
TEST_P(StoreTest, AKeyKeepsItsNewestResponsesWithinBounds) {
  auto s = open();
  ResponseRetention keep;
  keep.max_per_key = 3;
  keep.max_bytes_per_key = 25;  // two of the 10-byte conversations below
  keep.ttl_ms = 1000;
  const std::string ten = R"(["xxxxxx"])";
  ASSERT_EQ(ten.size(), 10u);
  s->put_response({"b_1", "key_b", ten, 100}, keep);
  for (int i = 1; i <= 3; ++i)
    s->put_response({"a_" + std::to_string(i), "key_a", ten, 100 + i}, keep);
  EXPECT_FALSE(s->response_messages("a_1", "key_a", 0));  // three would be 30 bytes
  EXPECT_TRUE(s->response_messages("a_2", "key_a", 0));
  EXPECT_TRUE(s->response_messages("a_3", "key_a", 0));
  EXPECT_TRUE(s->response_messages("b_1", "key_b", 0));
  // By count: four 5-byte ones keep the newest three.
  for (int i = 1; i <= 4; ++i)
    s->put_response({"c_" + std::to_string(i), "key_c", "[1,2]", 200 + i}, keep);
  EXPECT_FALSE(s->response_messages("c_1", "key_c", 0));
  for (int i = 2; i <= 4; ++i)
    EXPECT_TRUE(s->response_messages("c_" + std::to_string(i), "key_c", 0)) << i;
  // At 1150 everything from before 150 has expired, key_b's one included.
  s->put_response({"a_9", "key_a", ten, 1150}, keep);
  EXPECT_FALSE(s->response_messages("b_1", "key_b", 0));
  EXPECT_FALSE(s->response_messages("a_3", "key_a", 0));
  EXPECT_TRUE(s->response_messages("c_4", "key_c", 0));
  EXPECT_TRUE(s->response_messages("a_9", "key_a", 0));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

using PostgresStoreTest = StoreTest;

TEST_P(PostgresStoreTest, ReconnectsAfterTheServerRestarts) {
  auto s = open();
  const ApiKeyRecord k = key(1000);
  s->create_key(k, "h");
  ASSERT_EQ(s->reserve(hold("gen-r", k.id, 300)), ReserveResult::kOk);
  // Every pooled connection is cut; the next calls reconnect and prepare their statements again.
  postgres_->restart();
  EXPECT_EQ(s->key_by_id(k.id)->credits, 700);
  s->settle(record("gen-r", k.id, 100));
  EXPECT_EQ(s->key_by_id(k.id)->credits, 900);
  EXPECT_TRUE(s->usage_by_request("gen-r"));
}

TEST_P(PostgresStoreTest, AWrongUrlFailsAtStartWithoutItsPassword) {
  const std::string bad =
      "postgres://junction:hunter2@127.0.0.1:" + std::to_string(postgres_->port()) + "/nosuchdb";
  try {
    PostgresStore s(bad);
    FAIL() << "opened a store on a database that does not exist";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("nosuchdb"), std::string::npos) << m;
    EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
  }
  EXPECT_EQ(PostgresPool::redacted("postgres://u:p%40ss@h:5/db"), "postgres://u:***@h:5/db");
  EXPECT_EQ(PostgresPool::redacted("postgres://u@h/db"), "postgres://u@h/db");
}

// A gateway starting beside a running one: its schema step must neither wait for the running
// gateway's open transactions nor take locks that they wait for (CREATE INDEX IF NOT EXISTS on
// an existing index took a share lock on the table, which deadlocked with settle's writes).
TEST_P(PostgresStoreTest, AStoreOpensWhileAnotherWritesWithoutWaiting) {
  auto running = open();
  const ApiKeyRecord k = key(1000);
  running->create_key(k, "h");
  // An uncommitted write, as a settle in progress holds: row locks on reservations and usage.
  std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(url_.c_str()), PQfinish);
  ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
  const auto exec = [&](const char* sql) {
    PGresult* r = PQexec(c.get(), sql);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
  };
  ASSERT_TRUE(exec("BEGIN"));
  ASSERT_TRUE(
      exec("INSERT INTO reservations (request_id, key_id, model, owner, amount, day, "
           "month, created_ms) VALUES ('gen-w', 'k', 'm', 'o', 1, 0, 0, 0)"))
      << PQerrorMessage(c.get());
  auto starting = std::async(std::launch::async, [&] { return open(); });
  const bool opened = starting.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  // The write goes on into a table the schema step would have share-locked.
  ASSERT_TRUE(
      exec("INSERT INTO usage (request_id, key_id, model, provider, prompt_tokens, "
           "completion_tokens, reasoning_tokens, cached_tokens, cost, latency_ms, "
           "ttft_ms, status, http_status, streamed, created_ms) VALUES ('gen-w', 'k', "
           "'m', 'p', 0, 0, 0, 0, 0, 0, 0, 'ok', 200, false, 0)"))
      << PQerrorMessage(c.get());
  ASSERT_TRUE(exec("ROLLBACK"));
  EXPECT_TRUE(opened) << "the new store waited for another gateway's transaction";
  auto s = starting.get();
  EXPECT_EQ(s->key_by_id(k.id)->credits, 1000);
}

INSTANTIATE_TEST_SUITE_P(Stores, PostgresStoreTest, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace junction::gateway

namespace junction::gateway {
namespace {

// Writers that never pause (the highest request rates) leave a checkpoint pass no gap to catch
// up in; the WAL must still start over instead of growing with every request. (Small limits
// keep the test's writes to a few MB.)
TEST(SqliteStoreWal, StartsOverUnderUnbrokenWriting) {
  const fs::path path =
      fs::temp_directory_path() / ("junction-store-wal-" + std::to_string(::getpid()) + ".db");
  const std::string wal_path = path.string() + "-wal";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  // Each time the WAL starts over, SQLite increments the checkpoint sequence number in its
  // header (big-endian, bytes 12-15).
  const auto restarts = [&]() -> uint32_t {
    std::ifstream wal(wal_path, std::ios::binary);
    unsigned char h[16] = {};
    if (!wal.read(reinterpret_cast<char*>(h), sizeof h)) return 0;
    return uint32_t{h[12]} << 24 | uint32_t{h[13]} << 16 | uint32_t{h[14]} << 8 | h[15];
  };
  constexpr int64_t kPage = 4096;
  const WalCheckpointLimits limits{100, 400};
  SqliteStore s(path.string(), false, limits);
  ApiKeyRecord k;
  k.id = "key_wal";
  k.name = "t";
  k.credits = int64_t{1} << 50;
  s.create_key(k, "h");
  // About 4.6 WAL pages per reserve + settle; at most ~50 times the forced length in all.
  constexpr int kMaxPerThread = 1200;
  std::atomic<bool> restarted{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kMaxPerThread && !restarted; ++i) {
        ReservationRecord r;
        r.request_id = "gen-" + std::to_string(t) + "-" + std::to_string(100000 + i);
        r.key_id = k.id;
        r.model = "m";
        r.amount = 10;
        ASSERT_EQ(s.reserve(r), ReserveResult::kOk);
        UsageRecord u;
        u.request_id = r.request_id;
        u.key_id = k.id;
        u.model = "m";
        u.cost = 5;
        s.settle(u);
        if (t == 0 && i % 50 == 49 && restarts() >= 2) restarted = true;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_GE(restarts(), 2u) << "the WAL did not start over while writers wrote ~"
                            << 4 * kMaxPerThread * 46 / 10 << " pages";
  // The file keeps the WAL's longest length (SQLite reuses it without truncating).
  const auto wal_pages = static_cast<int64_t>(fs::file_size(wal_path)) / kPage;
  EXPECT_LT(wal_pages, 10 * limits.force_pages) << "the WAL grew to " << wal_pages << " pages";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

// A database written by a junction from before monthly limits: its api_keys table lacks their
// columns; opening it adds them, and its keys keep working.
TEST(SqliteStoreUpgrade, OpensADatabaseFromBeforeMonthlyLimits) {
  const fs::path path =
      fs::temp_directory_path() / ("junction-store-old-" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE api_keys (id TEXT PRIMARY KEY, key_hash TEXT NOT NULL "
                         "UNIQUE, name TEXT NOT NULL, credits INTEGER NOT NULL, rpm INTEGER NOT "
                         "NULL DEFAULT 0, tpm INTEGER NOT NULL DEFAULT 0, daily_limit INTEGER NOT "
                         "NULL DEFAULT 0, day INTEGER NOT NULL DEFAULT 0, day_spent INTEGER NOT "
                         "NULL DEFAULT 0, models TEXT NOT NULL DEFAULT '[]', disabled INTEGER "
                         "NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);"
                         "INSERT INTO api_keys (id, key_hash, name, credits, created_ms) "
                         "VALUES ('key_old', 'h', 'old', 1000, 1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    SqliteStore s(path.string());
    const auto k = s.key_by_id("key_old");
    ASSERT_TRUE(k);
    EXPECT_EQ(k->credits, 1000);
    EXPECT_EQ(k->monthly_limit, 0);
    ReservationRecord r;
    r.request_id = "gen-new";
    r.key_id = "key_old";
    r.amount = 400;
    EXPECT_EQ(s.reserve(r), ReserveResult::kOk);
  }
  SqliteStore again(path.string());  // a second open finds nothing to add
  EXPECT_EQ(again.key_by_id("key_old")->credits, 600);
  // The ledger begins with the old key's balance: granted 1000, 400 reserved, zero drift.
  const auto audit = again.audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].granted, 1000);
  EXPECT_EQ(audit[0].reserved, 400);
  EXPECT_EQ(audit[0].drift, std::optional<NanoUsd>(0));
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

}  // namespace
}  // namespace junction::gateway
