// Who may read what on the gateway, against a Gateway in this process on port 0 (SQLite, an
// upstream nobody listens on, a clock the test moves): /metrics needs the admin key like
// /admin/...; ten failed admin-key attempts in a minute from one address are answered 429 until
// the first is a minute old, the right key included; a body naming a key twice is a 400
// duplicate_key before anything is reserved or sent upstream. The web interface (page, assets)
// needs no key, the dashboard's key list (GET /admin/keys) the admin key, and it never shows a
// key's secret; without reports_dir, /reports/ says which flag publishes one.
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
    clock.unix_ms = [this] { return 1'700'000'000'000 + now_ms_.load(); };
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

TEST_F(GatewayAccess, TheWebInterfaceNeedsNoKeyAndKeepsItsCsp) {
  const auto [head, page] = get("/", "");
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(page.find("<!doctype html>"), std::string::npos) << page.substr(0, 200);
  EXPECT_NE(head.header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(get("/assets/nothing-here.js", "").first.status, 404);
  const auto reports = get("/reports/", "");
  EXPECT_EQ(reports.first.status, 404);
  EXPECT_NE(reports.first.error_body.find("--reports-dir"), std::string::npos)
      << reports.first.error_body;
  // The API beside it still wants its keys.
  EXPECT_EQ(get("/v1/models", "").first.status, 401);
  EXPECT_EQ(get("/admin/keys", "").first.status, 401);
}

TEST_F(GatewayAccess, TheKeyListIsTheAdminsNewestFirstWithoutSecrets) {
  for (const char* name : {"first", "second"}) {
    now_ms_ += 1000;
    const auto [h, text] = post("/admin/keys", "admin-secret",
                                std::string(R"({"name":")") + name + R"(","credits":2.5,"rpm":7})");
    ASSERT_EQ(h.status, 201) << h.error_body;
  }
  EXPECT_EQ(get("/admin/keys", "user-key").first.status, 401);
  const auto [head, text] = get("/admin/keys", "admin-secret");
  ASSERT_EQ(head.status, 200) << head.error_body;
  const Json list = Json::parse(text)["data"];
  ASSERT_EQ(list.size(), 2u) << text;
  // Created a second apart on the test's clock: newest first.
  EXPECT_EQ(list[0]["name"], "second");
  EXPECT_EQ(list[1]["name"], "first");
  EXPECT_EQ(list[1]["credits"], 2.5);
  EXPECT_EQ(list[1]["rpm"], 7);
  EXPECT_FALSE(list[0].contains("key"));
  EXPECT_EQ(text.find("sk-"), std::string::npos);
  EXPECT_EQ(Json::parse(get("/admin/keys?limit=1", "admin-secret").second)["data"].size(), 1u);
  for (const char* bad : {"0", "10001", "x", "-1"})
    EXPECT_EQ(get(std::string("/admin/keys?limit=") + bad, "admin-secret").first.status, 400)
        << bad;
  for (const char* bad : {"limit=0", "limit=100001", "limit=x", "order=sideways"})
    EXPECT_EQ(get(std::string("/admin/usage?") + bad, "admin-secret").first.status, 400) << bad;
  EXPECT_EQ(get("/admin/usage?order=newest&limit=5", "admin-secret").first.status, 200);
}

TEST_F(GatewayAccess, LimitsChangeAfterCreationAndApplyAtOnce) {
  const auto [h, text] = post("/admin/keys", "admin-secret", R"({"name":"l","credits":3})");
  ASSERT_EQ(h.status, 201) << h.error_body;
  const Json created = Json::parse(text);
  const std::string id = created["id"], key = created["key"];
  const std::string limits = "/admin/keys/" + id + "/limits";
  EXPECT_EQ(post(limits, "not-admin", R"({"rpm":1})").first.status, 401);
  for (const char* bad : {R"({"rpm":-1})", R"({"tpm":1e300})", R"({"rpm":"5"})",
                          R"({"daily_limit":-2})", R"({"monthly_limit":1e20})", "[]", "{"})
    EXPECT_EQ(post(limits, "admin-secret", bad).first.status, 400) << bad;
  EXPECT_EQ(post("/admin/keys/key_nope/limits", "admin-secret", R"({"rpm":1})").first.status, 404);
  const auto [lh, ltext] = post(limits, "admin-secret", R"({"rpm":1,"daily_limit":0.5})");
  ASSERT_EQ(lh.status, 200) << lh.error_body;
  const Json after = Json::parse(get("/admin/keys/" + id, "admin-secret").second);
  EXPECT_EQ(after["rpm"], 1);
  EXPECT_EQ(after["tpm"], 0);
  EXPECT_EQ(after["daily_limit"], 0.5);
  EXPECT_EQ(after["monthly_limit"], 0);
  EXPECT_EQ(after["credits"], 3);  // limits only: the balance moves through grants
  EXPECT_EQ(Json::parse(ltext), after);
  // One request a minute: the second within it is refused (the first fails upstream: nobody
  // listens there).
  const std::string chat =
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}]})";
  EXPECT_NE(post("/v1/chat/completions", key, chat).first.status, 429);
  EXPECT_EQ(post("/v1/chat/completions", key, chat).first.status, 429);
}

}  // namespace
}  // namespace junction::gateway
