// The request path's hold on credits and rate limits (gateway/reservation.h) against a real
// SQLite store and the in-process rate limiter: taken whole or not at all, settled once, and
// refunded in full when a path forgets to settle; a store failing mid-settle is SettleFailed,
// not an upstream failure, and leaves the reservation open for the sweep.
#include "gateway/reservation.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "gateway/sqlite_store.h"

namespace junction::gateway {
namespace {

ReservationSize size_of(NanoUsd cost, int64_t tokens) {
  ReservationSize s;
  s.cost = cost;
  s.total_tokens = tokens;
  s.completion_tokens = tokens;
  s.max_tokens = tokens;
  return s;
}

// The store the gateway uses, except that settle() can be made to fail, as a store whose
// database went away does.
class SettleCanFail final : public Store {
 public:
  explicit SettleCanFail(Store& real) : real_(real) {}
  bool fail_settle = false;
  void create_key(const ApiKeyRecord& k, const std::string& h) override { real_.create_key(k, h); }
  std::optional<ApiKeyRecord> key_by_hash(const std::string& h) override {
    return real_.key_by_hash(h);
  }
  std::optional<ApiKeyRecord> key_by_id(const std::string& id) override {
    return real_.key_by_id(id);
  }
  std::vector<ApiKeyRecord> list_keys(int64_t limit) override { return real_.list_keys(limit); }
  bool set_key_limits(const ApiKeyRecord& k) override { return real_.set_key_limits(k); }
  bool disable_key(const std::string& id) override { return real_.disable_key(id); }
  GrantResult add_credits(const CreditGrant& g, NanoUsd* b) override {
    return real_.add_credits(g, b);
  }
  ReserveResult reserve(const ReservationRecord& r) override { return real_.reserve(r); }
  SettleResult settle(UsageRecord u) override {
    if (fail_settle) throw std::runtime_error("database is gone");
    return real_.settle(std::move(u));
  }
  int64_t abandon_reservations(const std::string& o, int64_t before, int64_t now) override {
    return real_.abandon_reservations(o, before, now);
  }
  std::vector<KeyAudit> audit() override { return real_.audit(); }
  std::vector<UsageRecord> usage(const std::string& k, int64_t s, int64_t l) override {
    return real_.usage(k, s, l);
  }
  std::vector<UsageRecord> recent_usage(const std::string& k, int64_t s, int64_t l) override {
    return real_.recent_usage(k, s, l);
  }
  std::optional<UsageRecord> usage_by_request(const std::string& id) override {
    return real_.usage_by_request(id);
  }
  void put_response(const StoredResponse& r, const ResponseRetention& keep) override {
    real_.put_response(r, keep);
  }
  std::optional<std::string> response_messages(const std::string& id, const std::string& key_id,
                                               int64_t not_before_ms) override {
    return real_.response_messages(id, key_id, not_before_ms);
  }

 private:
  Store& real_;
};

class ReservationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_.id = "key_r";
    key_.name = "t";
    key_.credits = 1000;
    key_.rpm = 2;
    store_.create_key(key_, "h");
  }
  NanoUsd balance() { return store_.key_by_id(key_.id)->credits; }
  NanoUsd drift() {
    const auto a = store_.audit();
    return a.at(0).drift.value_or(-1);
  }

  SqliteStore store_{":memory:"};
  RateLimiter limits_;
  ApiKeyRecord key_;
};

TEST_F(ReservationTest, TakesBothAndSettlesOnce) {
  Reservation r(store_, limits_, key_, "gw");
  ASSERT_FALSE(r.take(size_of(700, 100), "gen-1", "m", 0, 0));
  EXPECT_TRUE(r.held());
  EXPECT_EQ(balance(), 300);
  UsageRecord u;
  u.cost = 200;
  u.status = "ok";
  u.tokens.completion_tokens = 40;
  r.settle(u, 1);
  EXPECT_EQ(u.request_id, "gen-1");
  EXPECT_EQ(balance(), 800);
  u.cost = 700;
  r.settle(u, 2);  // a second settle stores nothing
  EXPECT_EQ(balance(), 800);
  EXPECT_EQ(store_.usage_by_request("gen-1")->cost, 200);
  EXPECT_EQ(drift(), 0);
}

TEST_F(ReservationTest, AnUnsettledReservationRefundsInFull) {
  {
    Reservation r(store_, limits_, key_, "gw");
    ASSERT_FALSE(r.take(size_of(700, 100), "gen-1", "m", 0, 0));
    EXPECT_EQ(balance(), 300);
  }  // a path that returned without settling
  EXPECT_EQ(balance(), 1000);
  const auto u = store_.usage_by_request("gen-1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->cost, 0);
  EXPECT_EQ(u->status, "error");
  EXPECT_EQ(u->model, "m");
  EXPECT_EQ(drift(), 0);
}

TEST_F(ReservationTest, ARefusalHoldsNothing) {
  Reservation poor(store_, limits_, key_, "gw");
  const auto refused = poor.take(size_of(5000, 10), "gen-1", "m", 0, 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->error.status, 402);
  EXPECT_EQ(refused->error.code, "insufficient_credits");
  EXPECT_FALSE(poor.held());
  // rpm 2: the refused request took a request token; the next one still fits, the one after
  // is rate limited with a Retry-After.
  Reservation ok(store_, limits_, key_, "gw");
  EXPECT_FALSE(ok.take(size_of(10, 10), "gen-2", "m", 0, 0));
  Reservation limited(store_, limits_, key_, "gw");
  const auto r = limited.take(size_of(10, 10), "gen-3", "m", 0, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error.status, 429);
  EXPECT_GT(r->retry_after_s, 0);
  EXPECT_EQ(balance(), 990);
}

TEST_F(ReservationTest, AStoreFailingMidSettleIsSettleFailedAndLeavesItOpen) {
  SettleCanFail failing(store_);
  {
    Reservation r(failing, limits_, key_, "gw");
    ASSERT_FALSE(r.take(size_of(700, 100), "gen-1", "m", 0, 0));
    failing.fail_settle = true;
    UsageRecord u;
    u.cost = 100;
    EXPECT_THROW(r.settle(u, 1), SettleFailed);
  }  // no second try from the destructor: settle ran once
  // Open in the database, so the audit still adds up, until the sweep closes it.
  EXPECT_EQ(balance(), 300);
  EXPECT_EQ(store_.audit().at(0).open_reservations, 1);
  EXPECT_EQ(drift(), 0);
  EXPECT_EQ(store_.abandon_reservations("gw", 0, 5), 1);
  EXPECT_EQ(balance(), 1000);
  EXPECT_EQ(drift(), 0);
}

}  // namespace
}  // namespace junction::gateway
