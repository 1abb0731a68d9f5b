// The gateway as its own process (`junction serve --config`) in front of nginx serving a
// recorded OpenAI answer, under load from many client threads, once per store (SQLite file,
// PostgreSQL database):
// - killed with SIGKILL mid-load and started again on the same store under the same instance
//   name: every answer a client received completely has its usage record, the reservations of
//   the requests in flight at the kill are closed at start-up as "abandoned" (refunded: none of
//   them reached a client whole), and the audit shows zero drift and nothing left open.
// - PostgreSQL restarted mid-load (statements and settles fail while it is down): every
//   complete answer has its record, the audit shows zero drift, and `junction admin audit
//   --abandon-older-than 0` closes what the failed settles left open.
// - two gateway processes sharing the store: together they never overspend a key.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/error.h"
#include "gateway/postgres_store.h"
#include "gateway/sqlite_store.h"
#include "http/http_client.h"
#include "tests/support/child_process.h"
#include "tests/support/loopback.h"
#include "tests/support/nginx_server.h"
#include "tests/support/postgres_server.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

// What each request reserves: the prompt bound, "user" + "Say hello" = 13 bytes + 8 tokens per
// message and 8 for the reply = 29 tokens at $1/M, plus max_tokens 16 at $2/M (README, Money).
constexpr NanoUsd kReservation = 29 * 1000 + 16 * 2000;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class GatewayProcess : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!fs::exists(JUNCTION_BINARY)) FAIL() << "the junction binary is missing";
    if (!test::NginxServer::installed())
      FAIL() << "nginx is not installed (scripts/install_deps.sh installs it)";
    dir_ = fs::temp_directory_path() /
           ("junction-gateway-process-" + std::to_string(::getpid()) + "-" + GetParam());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const int nginx_port = test::free_port();
    nginx_ = std::make_unique<test::NginxServer>(
        dir_,
        "  access_log off;\n  server {\n    listen 127.0.0.1:" + std::to_string(nginx_port) +
            ";\n    error_page 405 =200 $uri;\n"
            "    location = /v1/chat/completions { default_type application/json; alias " +
            std::string(GATEWAY_TEST_DATA) + "/openai_chat.json; }\n  }\n",
        nginx_port);
    ASSERT_TRUE(nginx_->running()) << read_text(dir_ / "nginx-error.log");
    if (GetParam() == "postgres") {
      postgres_ = std::make_unique<test::PostgresServer>();
      store_url_ = postgres_->create_database("durability");
    } else {
      store_url_ = "sqlite://" + (dir_ / "gateway.db").string();
    }
    std::ofstream(dir_ / "gateway.yaml")
        << "listen: 127.0.0.1:0\nadmin_key: admin-secret\nstore: " << store_url_
        << "\nproviders:\n  - {name: nginx, kind: openai, base_url: \"http://127.0.0.1:"
        << nginx_port << "/v1\"}\nmodels:\n  - name: gpt-test\n"
        << "    price: {input_per_mtok: 1.0, output_per_mtok: 2.0, cached_input_per_mtok: 0.5}\n"
        << "    deployments: [{provider: nginx, model: gpt-4.1}]\n";
  }

  void TearDown() override {
    gateways_.clear();  // SIGKILLed
    nginx_.reset();
    postgres_.reset();
    fs::remove_all(dir_);
  }

  struct RunningGateway {
    test::ChildProcess process;
    int port = 0;
    std::string url(const std::string& path) const {
      return "http://127.0.0.1:" + std::to_string(port) + path;
    }
  };

  // Starts `junction serve --config` and waits for the port it prints.
  RunningGateway& start_gateway() {
    const fs::path log = dir_ / ("gateway-" + std::to_string(gateways_.size()) + ".log");
    RunningGateway& g = gateways_.emplace_back();
    g.process = test::ChildProcess(
        {JUNCTION_BINARY, "serve", "--config", (dir_ / "gateway.yaml").string()}, log.string());
    const std::string marker = "listening on http://127.0.0.1:";
    for (int i = 0; i < 300; ++i) {
      const std::string text = read_text(log);
      const size_t at = text.find(marker);
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        g.port = std::stoi(text.substr(at + marker.size()));
        return g;
      }
      std::this_thread::sleep_for(50ms);
    }
    throw Error("the gateway did not start: " + read_text(log));
  }

  // A key with `usd` credits: {id, key}.
  static std::pair<std::string, std::string> create_key(const RunningGateway& g, double usd) {
    const auto [head, text] =
        client().post_text(g.url("/admin/keys"), {{"Authorization", "Bearer admin-secret"}},
                           Json{{"name", "load"}, {"credits", usd}}.dump(), "application/json");
    if (head.status != 201) throw Error("POST /admin/keys: " + head.error_body);
    const Json j = Json::parse(text);
    return {j["id"], j["key"]};
  }

  static std::string chat_body() {
    return Json{{"model", "gpt-test"},
                {"max_tokens", 16},
                {"messages", {{{"role", "user"}, {"content", "Say hello"}}}}}
        .dump();
  }

  static http::HttpClient client() {
    http::HttpClientOptions o;
    o.connect_timeout = o.read_timeout = 10s;
    return http::HttpClient(o);
  }

  std::unique_ptr<Store> open_store_directly() const {
    if (GetParam() == "postgres") return std::make_unique<PostgresStore>(store_url_);
    return std::make_unique<SqliteStore>(store_url_.substr(9));
  }

  fs::path dir_;
  std::unique_ptr<test::NginxServer> nginx_;
  std::unique_ptr<test::PostgresServer> postgres_;
  std::string store_url_;
  std::deque<RunningGateway> gateways_;  // a deque: references stay valid as it grows
};

TEST_P(GatewayProcess, EveryCompletedAnswerHasItsRecordAfterSigkill) {
  std::ofstream(dir_ / "gateway.yaml", std::ios::app) << "ledger: {instance: durable-gw}\n";
  RunningGateway& first = start_gateway();
  http::HttpClient admin = client();
  const NanoUsd granted = 1'000'000'000;  // $1: far more than the load spends
  const auto [key_id, key] = create_key(first, 1.0);
  const std::string body = chat_body();
  std::mutex mutex;
  std::vector<std::string> completed;  // ids of answers received whole
  std::atomic<int> sent{0}, stop{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t)
    threads.emplace_back([&] {
      http::HttpClient c = client();
      while (!stop) {
        ++sent;
        try {
          const auto [head, text] =
              c.post_text(first.url("/v1/chat/completions"), {{"Authorization", "Bearer " + key}},
                          body, "application/json");
          // Whole: a 200 whose JSON parses and has the answer (a cut body would not parse).
          const Json j = Json::parse(text);
          if (head.status == 200 && j["choices"][0]["message"]["content"].is_string()) {
            std::lock_guard lock(mutex);
            completed.push_back(j["id"]);
          }
        } catch (const std::exception&) {
          // Refused or cut by the kill: not received whole.
        }
      }
    });
  // Let the load reach a steady state, then kill the gateway in the middle of it.
  const auto load_start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard lock(mutex);
      if (completed.size() >= 300) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  first.process.signal(SIGKILL);
  stop = 1;
  for (auto& t : threads) t.join();
  first.process.wait();
  const int n_completed = static_cast<int>(completed.size());
  const int n_incomplete = sent.load() - n_completed;
  ASSERT_GT(n_completed, 50);
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  std::fprintf(stderr, "durability (%s): %d answers received whole in %.2f s, %d cut or refused\n",
               GetParam().c_str(), n_completed, load_s, n_incomplete);

  // The same store, a new process.
  const RunningGateway& second = start_gateway();
  const auto [usage_head, usage_body] =
      admin.get_text(second.url("/admin/usage?limit=100000&key_id=" + key_id),
                     {{"Authorization", "Bearer admin-secret"}});
  ASSERT_EQ(usage_head.status, 200) << usage_head.error_body;
  std::set<std::string> recorded;
  NanoUsd recorded_cost = 0;
  const Json usage = Json::parse(usage_body);
  for (const auto& u : usage["data"]) recorded.insert(u["id"].get<std::string>());
  int missing = 0;
  for (const std::string& id : completed) missing += recorded.count(id) == 0;
  EXPECT_EQ(missing, 0) << "answers received whole without a usage record";
  EXPECT_GE(recorded.size(), completed.size());
  // One of them through the client's own endpoint.
  const auto [one, one_body] = admin.get_text(second.url("/v1/generation?id=" + completed.back()),
                                              {{"Authorization", "Bearer " + key}});
  EXPECT_EQ(one.status, 200) << one.error_body;

  // The ledger, exactly (nano-USD), read from the store itself.
  auto store = open_store_directly();
  for (const auto& u : store->usage(key_id, 0, 1'000'000)) recorded_cost += u.cost;
  const NanoUsd balance = store->key_by_id(key_id)->credits;
  EXPECT_EQ(balance, granted - recorded_cost) << "reservations of the killed requests are left";
  int abandoned = 0;
  for (const auto& u : store->usage(key_id, 0, 1'000'000)) abandoned += u.status == "abandoned";
  EXPECT_LE(abandoned, n_incomplete);
  const auto [audit_head, audit_body] =
      admin.get_text(second.url("/admin/audit"), {{"Authorization", "Bearer admin-secret"}});
  const Json audit = Json::parse(audit_body);
  EXPECT_EQ(audit["ok"], true) << audit.dump(1);
  EXPECT_EQ(audit["open_reservations"], 0) << audit.dump(1);
  std::fprintf(stderr,
               "durability (%s): %zu records, %d reservations of killed requests closed as "
               "abandoned at restart\n",
               GetParam().c_str(), recorded.size(), abandoned);

  // And the restarted gateway serves and charges as before.
  const auto [after, after_body] =
      admin.post_text(second.url("/v1/chat/completions"), {{"Authorization", "Bearer " + key}},
                      body, "application/json");
  ASSERT_EQ(after.status, 200) << after.error_body;
  EXPECT_TRUE(store->usage_by_request(Json::parse(after_body)["id"]));
}

TEST_P(GatewayProcess, TwoGatewaysSharingTheStoreNeverOverspend) {
  RunningGateway& a = start_gateway();
  RunningGateway& b = start_gateway();
  // Each request reserves 61000 nano-USD (kReservation) and costs 20000: $0.0005 covers about
  // 20 of the 64, whichever gateway they reach.
  const auto [key_id, key] = create_key(a, 0.0005);
  const std::string body = chat_body();
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t)
    threads.emplace_back([&, t] {
      const RunningGateway& g = t % 2 ? a : b;
      try {
        const auto [head, text] =
            client().post_text(g.url("/v1/chat/completions"), {{"Authorization", "Bearer " + key}},
                               body, "application/json");
        (head.status == 200 ? ok : head.status == 402 ? refused : other)++;
      } catch (const std::exception&) {
        ++other;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(refused.load(), 0);
  auto store = open_store_directly();
  NanoUsd spent = 0;
  int records = 0;
  for (const auto& u : store->usage(key_id, 0, 1000)) {
    spent += u.cost;
    ++records;
  }
  const NanoUsd left = store->key_by_id(key_id)->credits;
  EXPECT_GE(left, 0);
  EXPECT_EQ(records, ok.load());
  EXPECT_EQ(left + spent, 500'000);
}

INSTANTIATE_TEST_SUITE_P(Stores, GatewayProcess, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

using GatewayProcessPostgres = GatewayProcess;

TEST_P(GatewayProcessPostgres, TheLedgerAddsUpAfterPostgresRestartsUnderLoad) {
  std::ofstream(dir_ / "gateway.yaml", std::ios::app) << "ledger: {instance: pg-gw}\n";
  RunningGateway& g = start_gateway();
  const auto [key_id, key] = create_key(g, 1.0);
  const std::string body = chat_body();
  std::mutex mutex;
  std::vector<std::string> completed;
  std::atomic<int> failed{0};
  std::string first_failure;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&] {
      http::HttpClient c = client();
      while (!stop) {
        try {
          const auto [head, text] =
              c.post_text(g.url("/v1/chat/completions"), {{"Authorization", "Bearer " + key}}, body,
                          "application/json");
          const Json j = Json::parse(text.empty() ? head.error_body : text);
          if (head.status == 200 && j["choices"][0]["message"]["content"].is_string()) {
            std::lock_guard lock(mutex);
            completed.push_back(j["id"]);
          } else {
            std::lock_guard lock(mutex);
            if (failed++ == 0)
              first_failure = std::to_string(head.status) + " " + text + head.error_body;
          }
        } catch (const std::exception& e) {
          std::lock_guard lock(mutex);
          if (failed++ == 0) first_failure = e.what();
        }
      }
    });
  // Under load before the restart: the first answers have come back (a sanitizer build on a busy
  // machine took longer than a fixed half second to answer any, and the test then saw none).
  for (int i = 0; i < 300; ++i) {
    {
      std::lock_guard lock(mutex);
      if (completed.size() >= 5 || failed > 0) break;
    }
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(200ms);
  postgres_->restart();  // every pooled connection is cut, statements in flight fail
  std::this_thread::sleep_for(1000ms);
  stop = true;
  for (auto& t : threads) t.join();
  std::fprintf(stderr, "postgres restart under load: %zu answers whole, %d failed (first: %s)\n",
               completed.size(), failed.load(), first_failure.c_str());
  ASSERT_GT(completed.size(), 10u);
  auto store = open_store_directly();
  for (const std::string& id : completed)
    EXPECT_TRUE(store->usage_by_request(id)) << id << " was received whole without its record";
  for (const KeyAudit& a : store->audit())
    EXPECT_EQ(a.drift, std::optional<NanoUsd>(0)) << a.key_id;
  // What failed settles left open, closed from the database alone.
  const int rc = test::run_command(
      {JUNCTION_BINARY, "admin", "audit", "--store", store_url_, "--abandon-older-than", "0"},
      (dir_ / "audit.log").string());
  EXPECT_EQ(rc, 0) << read_text(dir_ / "audit.log");
  for (const KeyAudit& a : store->audit()) {
    EXPECT_EQ(a.drift, std::optional<NanoUsd>(0)) << a.key_id;
    EXPECT_EQ(a.open_reservations, 0) << a.key_id;
  }
  EXPECT_NE(read_text(dir_ / "audit.log").find("\"ok\": true"), std::string::npos)
      << read_text(dir_ / "audit.log");
}

INSTANTIATE_TEST_SUITE_P(Stores, GatewayProcessPostgres, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace junction::gateway
