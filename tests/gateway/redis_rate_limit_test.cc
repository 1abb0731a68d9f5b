// Rate limits shared through a real redis-server started by the test (a free port on 127.0.0.1,
// its files in a temp folder): two limiter objects, then two `junction serve --config`
// processes sharing one SQLite store and one Redis in front of nginx, hold a key's rpm limit
// together; with Redis gone a limiter falls back to per-process limits. Skipped when
// redis-server (Debian package redis-server) is missing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/redis_rate_limiter.h"
#include "http/http_client.h"
#include "tests/support/loopback.h"

extern char** environ;

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRedis = "/usr/bin/redis-server";
constexpr const char* kNginx = "/usr/sbin/nginx";

using test::free_port;
using test::port_open;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

void stop(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

class RedisRateLimit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kRedis))
      FAIL() << "redis-server is not installed (scripts/install_deps.sh installs it)";
    dir_ = fs::temp_directory_path() /
           ("junction-redis-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    redis_port_ = free_port();
    redis_pid_ = spawn({kRedis, "--port", std::to_string(redis_port_), "--bind", "127.0.0.1",
                        "--dir", dir_.string(), "--save", "", "--appendonly", "no"},
                       (dir_ / "redis.log").string());
    for (int i = 0; i < 100 && !port_open(redis_port_); ++i) std::this_thread::sleep_for(50ms);
    if (!port_open(redis_port_)) FAIL() << "redis-server did not start";
  }
  void TearDown() override {
    for (pid_t& p : gateways_) stop(p);
    stop(nginx_pid_);
    stop(redis_pid_);
    fs::remove_all(dir_);
  }

  std::string redis_url() const { return "redis://127.0.0.1:" + std::to_string(redis_port_); }

  void start_nginx() {
    nginx_port_ = free_port();
    const std::string d = dir_.string();
    std::ofstream(dir_ / "nginx.conf")
        << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << d
        << "/nginx.pid;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n"
        << "  client_body_temp_path " << d << "/tb;\n  proxy_temp_path " << d << "/tp;\n"
        << "  fastcgi_temp_path " << d << "/tf;\n  uwsgi_temp_path " << d << "/tu;\n"
        << "  scgi_temp_path " << d << "/ts;\n  server {\n    listen 127.0.0.1:" << nginx_port_
        << ";\n    error_page 405 =200 $uri;\n"
        << "    location = /v1/chat/completions { default_type application/json; alias "
        << GATEWAY_TEST_DATA << "/openai_chat.json; }\n  }\n}\n";
    nginx_pid_ = spawn({kNginx, "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/nginx.err"},
                       d + "/nginx.out");
    for (int i = 0; i < 100 && !port_open(nginx_port_); ++i) std::this_thread::sleep_for(50ms);
  }

  // A `junction serve --config` process; returns its port (0 if it did not start).
  int start_gateway(int i) {
    const fs::path yaml = dir_ / ("gateway-" + std::to_string(i) + ".yaml");
    std::ofstream(yaml) << "listen: 127.0.0.1:0\nadmin_key: admin\nstore: sqlite://"
                        << (dir_ / "shared.db").string() << "\nredis: " << redis_url()
                        << "\nproviders:\n  - {name: nginx, kind: openai, base_url: "
                           "\"http://127.0.0.1:"
                        << nginx_port_
                        << "/v1\"}\nmodels:\n  - name: m\n    price: {input_per_mtok: 1, "
                           "output_per_mtok: 2}\n    deployments: [{provider: nginx}]\n";
    const fs::path log = dir_ / ("gateway-" + std::to_string(i) + ".log");
    gateways_.push_back(spawn({JUNCTION_BINARY, "serve", "--config", yaml.string()}, log.string()));
    const std::string marker = "listening on http://127.0.0.1:";
    for (int tries = 0; tries < 200; ++tries) {
      const std::string text = read_file(log);
      const size_t at = text.find(marker);
      if (at != std::string::npos && text.find('\n', at) != std::string::npos)
        return std::stoi(text.substr(at + marker.size()));
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "gateway " << i << " did not start: " << read_file(log);
    return 0;
  }

  fs::path dir_;
  int redis_port_ = 0, nginx_port_ = 0;
  pid_t redis_pid_ = -1, nginx_pid_ = -1;
  std::vector<pid_t> gateways_;
};

TEST(RedisUrl, Parses) {
  RedisAddress a = parse_redis_url("redis://10.0.0.5:6380/2");
  EXPECT_EQ(a.host, "10.0.0.5");
  EXPECT_EQ(a.port, 6380);
  EXPECT_EQ(a.db, 2);
  a = parse_redis_url("redis://:s3cret@cache");
  EXPECT_EQ(a.host, "cache");
  EXPECT_EQ(a.port, 6379);
  EXPECT_EQ(a.password, "s3cret");
  a = parse_redis_url("unix:///run/redis/redis.sock");
  EXPECT_EQ(a.unix_path, "/run/redis/redis.sock");
  EXPECT_THROW(parse_redis_url("http://x:1"), Error);
  EXPECT_THROW(parse_redis_url("redis://x:99999"), Error);
  EXPECT_THROW(parse_redis_url("redis://:1"), Error);
}

TEST_F(RedisRateLimit, TwoLimitersShareOneBucket) {
  RedisRateLimiter a(parse_redis_url(redis_url())), b(parse_redis_url(redis_url()));
  EXPECT_TRUE(a.acquire("k", 3, 0, 0, 0).allowed);
  EXPECT_TRUE(b.acquire("k", 3, 0, 0, 0).allowed);
  EXPECT_TRUE(a.acquire("k", 3, 0, 0, 0).allowed);
  for (RedisRateLimiter* r : {&a, &b}) {
    const RateDecision d = r->acquire("k", 3, 0, 0, 0);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.limit, "rpm");
    // One request per 20 s at 3 rpm, less the milliseconds Redis's clock moved meanwhile.
    EXPECT_LE(d.retry_after_ms, 20000);
    EXPECT_GT(d.retry_after_ms, 19000);
  }
  EXPECT_TRUE(b.acquire("other", 3, 0, 0, 0).allowed);  // per key
  EXPECT_EQ(a.fallbacks() + b.fallbacks(), 0);
}

TEST_F(RedisRateLimit, TpmEstimatesAreSettledAcrossLimiters) {
  RedisRateLimiter a(parse_redis_url(redis_url())), b(parse_redis_url(redis_url()));
  EXPECT_TRUE(a.acquire("k", 0, 1000, 800, 0).allowed);
  const RateDecision d = b.acquire("k", 0, 1000, 300, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, "tpm");
  EXPECT_LE(d.retry_after_ms, 6000);  // 100 tokens at 1000/min
  EXPECT_GT(d.retry_after_ms, 5000);
  a.adjust_tokens("k", 1000, -500, 0);  // used 300 of its 800
  EXPECT_TRUE(b.acquire("k", 0, 1000, 300, 0).allowed);
  EXPECT_FALSE(b.acquire("k", 0, 1000, 1001, 0).allowed);  // more than a minute's worth
}

TEST_F(RedisRateLimit, WithRedisDownLimitsFallBackToThisProcess) {
  RedisRateLimiter r(parse_redis_url(redis_url()));
  EXPECT_TRUE(r.acquire("k", 2, 0, 0, 0).allowed);
  stop(redis_pid_);
  const auto t0 = std::chrono::steady_clock::now();
  // Fail open to per-process buckets: this process still holds the key to 2 rpm.
  EXPECT_TRUE(r.acquire("k", 2, 0, 0, 0).allowed);
  EXPECT_TRUE(r.acquire("k", 2, 0, 0, 0).allowed);
  EXPECT_FALSE(r.acquire("k", 2, 0, 0, 0).allowed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(r.fallbacks(), 3);
}

TEST_F(RedisRateLimit, TwoGatewayProcessesHoldAKeysRpmTogether) {
  if (!fs::exists(kNginx)) FAIL() << "nginx is not installed (scripts/install_deps.sh installs it)";
  if (!fs::exists(JUNCTION_BINARY)) FAIL() << "no junction binary";
  start_nginx();
  const int port_a = start_gateway(0);
  ASSERT_GT(port_a, 0);
  const int port_b = start_gateway(1);
  ASSERT_GT(port_b, 0);
  http::HttpClientOptions o;
  o.connect_timeout = o.read_timeout = 10s;
  http::HttpClient http(o);
  auto [head, body] =
      http.post_text("http://127.0.0.1:" + std::to_string(port_a) + "/admin/keys",
                     {{"Authorization", "Bearer admin"}},
                     R"({"name":"shared","credits":100,"rpm":6})", "application/json");
  ASSERT_EQ(head.status, 201) << head.error_body;
  const std::string key = nlohmann::json::parse(body)["key"];
  int ok = 0, limited = 0;
  std::string retry_after;
  for (int i = 0; i < 10; ++i) {
    const int port = i % 2 == 0 ? port_a : port_b;
    auto [h, b] = http.post_text(
        "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions",
        {{"Authorization", "Bearer " + key}},
        R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":8})",
        "application/json");
    if (h.status == 200) ++ok;
    if (h.status == 429) {
      ++limited;
      retry_after = h.header("retry-after");
    }
  }
  // Each process alone would let 6 through (12 > 10 sent); together they hold 6.
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(limited, 4);
  EXPECT_FALSE(retry_after.empty());
}

}  // namespace
}  // namespace junction::gateway
