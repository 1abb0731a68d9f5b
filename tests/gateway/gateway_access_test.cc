// Who may read what on the gateway, against a Gateway in this process on port 0 (SQLite, an
// upstream nobody listens on, a clock the test moves): /metrics needs the admin key like
// /admin/...; ten failed admin-key attempts in a minute from one address are answered 429 until
// the first is a minute old, the right key included; a body naming a key twice is a 400
// duplicate_key before anything is reserved or sent upstream.
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/gateway.h"
#include "http/http_client.h"
#include "tests/support/loopback.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

class GatewayAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("junction-gateway-access-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::string yaml = "listen: 127.0.0.1:0\nadmin_key: admin-secret\nstore: sqlite://" +
                             (dir_ / "gateway.db").string() +
                             "\nproviders:\n  - {name: down, kind: openai, base_url: "
                             "\"http://127.0.0.1:" +
                             std::to_string(test::free_port()) +
                             "/v1\"}\nmodels:\n  - {name: m, deployments: [{provider: down}]}\n";
    GatewayConfig config = parse_gateway_config(yaml, "test.yaml", process_env());
    auto store = open_store(config);
    GatewayClock clock = GatewayClock::system();
    clock.monotonic_ms = [this] { return now_ms_.load(); };
    gateway_ = std::make_unique<Gateway>(std::move(config), std::move(store), clock);
    thread_ = std::thread([this] { gateway_->run(); });
    url_ = "http://127.0.0.1:" + std::to_string(gateway_->port());
  }
  void TearDown() override {
    gateway_->stop();
    thread_.join();
    gateway_.reset();
    fs::remove_all(dir_);
  }

  std::pair<http::HttpResponseHead, std::string> get(const std::string& path,
                                                     const std::string& key) {
    http::HttpHeaders h;
    if (!key.empty()) h.emplace_back("Authorization", "Bearer " + key);
    return client_.get_text(url_ + path, h);
  }
  std::pair<http::HttpResponseHead, std::string> post(const std::string& path,
                                                      const std::string& key,
                                                      const std::string& body) {
    return client_.post_text(url_ + path, {{"Authorization", "Bearer " + key}}, body,
                             "application/json");
  }
  // The error code of an answer (POST keeps an error body apart, GET streams it as the body).
  static std::string code(const std::pair<http::HttpResponseHead, std::string>& answer) {
    const std::string& text =
        answer.first.error_body.empty() ? answer.second : answer.first.error_body;
    const Json j = Json::parse(text, nullptr, false);
    return j.is_object() && j["error"].is_object() ? j["error"].value("code", "") : "";
  }

  fs::path dir_;
  std::atomic<int64_t> now_ms_{1'000'000};
  std::unique_ptr<Gateway> gateway_;
  std::thread thread_;
  std::string url_;
  http::HttpClient client_{[] {
    http::HttpClientOptions o;
    o.allow_plain_http = true;
    o.connect_timeout = o.read_timeout = 10s;
    return o;
  }()};
};

TEST_F(GatewayAccess, MetricsNeedTheAdminKey) {
  EXPECT_EQ(get("/metrics", "").first.status, 401);
  EXPECT_EQ(get("/metrics", "not-the-key").first.status, 401);
  const auto [head, text] = get("/metrics", "admin-secret");
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(text.find("# TYPE"), std::string::npos) << text.substr(0, 200);
  EXPECT_EQ(get("/health", "").first.status, 200);
}

TEST_F(GatewayAccess, TenFailedAdminKeysInAMinuteAre429UntilTheFirstIsAMinuteOld) {
  for (int i = 0; i < 10; ++i) {
    now_ms_ += 1000;
    EXPECT_EQ(get("/admin/providers", "guess-" + std::to_string(i)).first.status, 401) << i;
  }
  // Blocked: the right key too, and /metrics, which takes the same key.
  const auto blocked = get("/admin/providers", "admin-secret");
  EXPECT_EQ(blocked.first.status, 429);
  EXPECT_EQ(code(blocked), "too_many_failed_attempts");
  EXPECT_EQ(get("/metrics", "admin-secret").first.status, 429);
  now_ms_ += 51'000;  // the first failure is now a minute old
  EXPECT_EQ(get("/admin/providers", "admin-secret").first.status, 200);
  // The right key cleared the count: nine more failures do not block.
  for (int i = 0; i < 9; ++i) EXPECT_EQ(get("/metrics", "guess").first.status, 401);
  EXPECT_EQ(get("/metrics", "admin-secret").first.status, 200);
}

TEST_F(GatewayAccess, ABodyNamingAKeyTwiceIsA400DuplicateKey) {
  const auto [key_head, key_text] =
      post("/admin/keys", "admin-secret", R"({"name":"dup","credits":1})");
  ASSERT_EQ(key_head.status, 201) << key_head.error_body;
  const std::string key = Json::parse(key_text)["key"];
  for (
      const std::string body :
      {R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"max_tokens":100000})",
       R"({"model":"m","messages":[{"role":"user","content":"a","role":"system"}]})"}) {
    const auto answer = post("/v1/chat/completions", key, body);
    EXPECT_EQ(answer.first.status, 400) << answer.first.error_body;
    EXPECT_EQ(code(answer), "duplicate_key") << answer.first.error_body;
  }
  EXPECT_EQ(code(post("/v1/completions", key, R"({"model":"m","model":"n","prompt":"a"})")),
            "duplicate_key");
}

}  // namespace
}  // namespace junction::gateway
