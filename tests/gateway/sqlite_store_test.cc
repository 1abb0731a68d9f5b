#include "gateway/sqlite_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "gateway/key_hash.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("junction-store-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    fs::remove(path_);
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
  }
  ApiKeyRecord key(NanoUsd credits) {
    ApiKeyRecord k;
    k.id = "key_" + random_hex(4);
    k.name = "t";
    k.credits = credits;
    k.models = {"m"};
    return k;
  }
  fs::path path_;
};

TEST_F(SqliteStoreTest, KeysAreFoundByHashOnly) {
  SqliteStore s(path_.string());
  const ApiKeyRecord k = key(100);
  const std::string secret = new_api_key();
  s.create_key(k, hash_api_key("pepper", secret));
  EXPECT_TRUE(s.key_by_hash(hash_api_key("pepper", secret)));
  EXPECT_FALSE(s.key_by_hash(hash_api_key("other", secret)));
  EXPECT_FALSE(s.key_by_hash(secret));
  const auto back = s.key_by_id(k.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->credits, 100);
  EXPECT_EQ(back->models, std::vector<std::string>{"m"});
  EXPECT_EQ(s.add_credits(k.id, 50), 150);
  EXPECT_TRUE(s.disable_key(k.id));
  EXPECT_TRUE(s.key_by_id(k.id)->disabled);
  EXPECT_EQ(s.reserve(k.id, 1, 0), ReserveResult::kNoSuchKey);
}

TEST_F(SqliteStoreTest, ReserveRefusesWhatTheBalanceCannotCoverAndSettleRefunds) {
  SqliteStore s(path_.string());
  const ApiKeyRecord k = key(1000);
  s.create_key(k, "h");
  EXPECT_EQ(s.reserve(k.id, 1001, 0), ReserveResult::kInsufficientCredits);
  EXPECT_EQ(s.reserve(k.id, 700, 0), ReserveResult::kOk);
  EXPECT_EQ(s.key_by_id(k.id)->credits, 300);
  UsageRecord u;
  u.request_id = "gen-1";
  u.key_id = k.id;
  u.model = "m";
  u.cost = 200;
  u.tokens = {10, 5, 1, 2};
  s.settle(700, u);
  EXPECT_EQ(s.key_by_id(k.id)->credits, 800);
  const auto r = s.usage_by_request("gen-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cost, 200);
  EXPECT_EQ(r->tokens.reasoning_tokens, 1);
  EXPECT_EQ(r->tokens.cached_tokens, 2);
  EXPECT_EQ(s.usage(k.id, 0, 10).size(), 1u);
}

TEST_F(SqliteStoreTest, DailyLimit) {
  SqliteStore s(path_.string());
  ApiKeyRecord k = key(10'000);
  k.daily_limit = 500;
  s.create_key(k, "h");
  const int64_t day = 86'400'000;
  EXPECT_EQ(s.reserve(k.id, 400, 5 * day), ReserveResult::kOk);
  EXPECT_EQ(s.reserve(k.id, 200, 5 * day + 10), ReserveResult::kDailyLimit);
  EXPECT_EQ(s.reserve(k.id, 200, 6 * day), ReserveResult::kOk);  // a new UTC day
}

TEST_F(SqliteStoreTest, ConcurrentReservationsNeverOverspend) {
  SqliteStore s(path_.string());
  const ApiKeyRecord k = key(10'000);
  s.create_key(k, "h");
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (s.reserve(k.id, 300, 0) != ReserveResult::kOk) continue;
        UsageRecord u;
        u.request_id = "gen-" + std::to_string(next++);
        u.key_id = k.id;
        u.model = "m";
        u.cost = 100 + (i % 3) * 50;
        s.settle(300, u);
      }
    });
  for (auto& t : threads) t.join();
  NanoUsd spent = 0;
  for (const auto& u : s.usage(k.id, 0, 100000)) spent += u.cost;
  const NanoUsd left = s.key_by_id(k.id)->credits;
  EXPECT_GE(left, 0);
  EXPECT_EQ(left + spent, 10'000);
  EXPECT_LT(left, 300);  // it ran until no reservation fit
}

}  // namespace
}  // namespace junction::gateway
