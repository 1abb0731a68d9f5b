// The gateway against real processes on 127.0.0.1: nginx serving recorded OpenAI-style answers
// (tests/gateway/data) plus locations answering 500 and 429; raw TCP listeners in this process
// that hang, cut a stream in the middle, or flip between failing and working; two `junction
// serve` engines on the tiny fixture model. The gateway runs in this process on port 0, once per
// store: SQLite in a temp folder and PostgreSQL on a server the suite starts (every test runs
// against both); clients are http::HttpClient over loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "gateway/gateway.h"
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

using test::free_port;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A TCP server for faults nginx cannot make: it reads one request per connection, then
// hangs, cuts an SSE stream after one event, answers 500, answers a valid completion, streams
// content events without end, or streams one 10 MB line.
class FaultServer {
 public:
  enum Mode { kHang, kCut, kFail, kOk, kEndless, kHugeLine };

  explicit FaultServer(Mode mode) : mode_(mode) {
    fd_ = test::listen_on_loopback(&port_, 64);
    thread_ = std::thread([this] { loop(); });
  }
  ~FaultServer() {
    stop_ = true;
    thread_.join();
    for (auto& t : connections_) t.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  void set_mode(Mode m) { mode_ = m; }
  int requests() const { return requests_; }
  // The body of the last request read.
  std::string last_body() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_body_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      connections_.emplace_back([this, c] { serve(c); });
    }
  }

  void send_all(int c, const std::string& s) { (void)!::send(c, s.data(), s.size(), MSG_NOSIGNAL); }

  void serve(int c) {
    std::string in;
    char buf[4096];
    size_t need = std::string::npos;
    while (!stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      const size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos && need == std::string::npos) {
        size_t length = 0;
        const size_t cl = in.find("Content-Length: ");
        if (cl != std::string::npos) length = std::stoul(in.substr(cl + 16));
        need = end + 4 + length;
      }
      if (need != std::string::npos && in.size() >= need) break;
    }
    ++requests_;
    if (const size_t end = in.find("\r\n\r\n"); end != std::string::npos) {
      std::lock_guard<std::mutex> lock(mutex_);
      last_body_ = in.substr(end + 4);
    }
    const Mode mode = mode_;
    if (mode == kHang) {
      while (!stop_) std::this_thread::sleep_for(20ms);
    } else if (mode == kFail) {
      send_all(c,
               "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
               "Content-Length: 27\r\nConnection: close\r\n\r\n{\"error\":{\"message\":\"x\"}}\n");
    } else if (mode == kOk) {
      const std::string body =
          R"({"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}})";
      send_all(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    } else if (mode == kEndless || mode == kHugeLine) {
      // Close-delimited SSE (no chunking): events until the gateway hangs up, or one line of
      // 10 MB that never ends.
      send_all(c,
               "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
      if (mode == kHugeLine) {
        send_all(c, "data: {\"x\":\"" + std::string(10 << 20, 'a'));
      } else {
        const std::string event =
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"la\"},"
            "\"finish_reason\":null}]}\n\n";
        for (int i = 0; i < 1'000'000 && !stop_; ++i)
          if (::send(c, event.data(), event.size(), MSG_NOSIGNAL) < 0) break;
      }
    } else {  // kCut: a chunked SSE stream that stops after one event, without the last chunk
      const std::string event =
          "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
          "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n";
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", event.size());
      send_all(c,
               "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
               "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                   std::string(size) + event + "\r\n");
      std::this_thread::sleep_for(50ms);
    }
    ::close(c);
  }

  int fd_ = -1, port_ = 0;
  std::atomic<Mode> mode_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::string last_body_;
  std::thread thread_;
  std::vector<std::thread> connections_;
};

struct Reply {
  int status = 0;
  http::HttpResponseHead head;
  std::string body;
  Json json() const { return Json::parse(body.empty() ? head.error_body : body); }
};

// The parameter names the store: "sqlite" or "postgres".
class GatewayE2E : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("junction-gateway-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    start_nginx();
    hang_ = std::make_unique<FaultServer>(FaultServer::kHang);
    cut_ = std::make_unique<FaultServer>(FaultServer::kCut);
    flaky_ = std::make_unique<FaultServer>(FaultServer::kFail);
    recorder_ = std::make_unique<FaultServer>(FaultServer::kOk);
    endless_ = std::make_unique<FaultServer>(FaultServer::kEndless);
    huge_line_ = std::make_unique<FaultServer>(FaultServer::kHugeLine);
    if (fs::exists(JUNCTION_BINARY)) {
      for (int i = 0; i < 2; ++i) start_engine(i);
      for (int i = 0; i < 2; ++i) engine_port_[i] = wait_for_engine(i);
    }
  }

  // `junction serve` on the tiny fixture model, on `port` (0: any); the port is read from its log.
  static void start_engine(int i, int port = 0) {
    const std::string log = (dir_ / ("engine-" + std::to_string(i) + ".log")).string();
    fs::remove(log);
    engine_[i] =
        test::ChildProcess({JUNCTION_BINARY, "serve", "--model",
                            std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16", "--host",
                            "127.0.0.1", "--port", std::to_string(port), "--threads", "1",
                            "--ctx-size", "256", "--parallel", "4", "--served-model-name", "tiny"},
                           log);
  }

  static int wait_for_engine(int i) {
    const fs::path log = dir_ / ("engine-" + std::to_string(i) + ".log");
    const std::string marker = "listening on http://127.0.0.1:";
    for (int tries = 0; tries < 600 && engine_[i].started(); ++tries) {
      const std::string text = read_file(log);
      const size_t at = text.find(marker);
      if (at != std::string::npos && text.find('\n', at) != std::string::npos)
        return std::stoi(text.substr(at + marker.size()));
      std::this_thread::sleep_for(100ms);
    }
    return 0;
  }

  // A recorded Messages API answer at /NAME/v1/messages, served only with the headers the API
  // requires (x-api-key, anthropic-version), answering its documented errors otherwise.
  static std::string anthropic(const std::string& name, const std::string& type,
                               const std::string& file) {
    return "    location = /" + name + "/v1/messages {\n" +
           "      if ($http_x_api_key != \"sk-ant-test\") { return 401 "
           "'{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
           "\"message\":\"invalid x-api-key\"}}'; }\n"
           "      if ($http_anthropic_version != \"2023-06-01\") { return 400 "
           "'{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
           "\"message\":\"anthropic-version: header is required\"}}'; }\n"
           "      default_type " +
           type + "; alias " + GATEWAY_TEST_DATA + "/" + file + ";\n    }\n";
  }

  static void start_nginx() {
    nginx_port_ = free_port();
    const std::string data = GATEWAY_TEST_DATA;
    const std::string conf =
        R"(  access_log off;
  server {
    listen 127.0.0.1:)" +
        std::to_string(nginx_port_) +
        R"(;
    # Static files answer POST with 405; turn that into the file (the usual nginx idiom).
    error_page 405 =200 $uri;
    location = /openai/v1/chat/completions { default_type application/json; alias )" +
        data + R"(/openai_chat.json; }
    location = /openai/v1/completions { default_type application/json; alias )" +
        data + R"(/openai_completion.json; }
    location = /openai-sse/v1/chat/completions { default_type text/event-stream; alias )" +
        data + R"(/openai_chat_stream.sse; }
    location = /deepseek/v1/chat/completions { default_type application/json; alias )" +
        data + R"(/deepseek_chat.json; }
    location = /deepseek-sse/v1/chat/completions { default_type text/event-stream; alias )" +
        data + R"(/deepseek_chat_stream.sse; }
)" + anthropic("anthropic", "application/json", "anthropic_message.json") +
        anthropic("anthropic-sse", "text/event-stream", "anthropic_stream.sse") +
        anthropic("anthropic-tools", "application/json", "anthropic_tool_use.json") +
        anthropic("anthropic-tools-sse", "text/event-stream", "anthropic_tool_use_stream.sse") +
        anthropic("anthropic-thinking", "application/json", "anthropic_thinking.json") +
        anthropic("anthropic-thinking-sse", "text/event-stream", "anthropic_thinking_stream.sse") +
        anthropic("anthropic-overloaded-sse", "text/event-stream",
                  "anthropic_overloaded_stream.sse") +
        anthropic("anthropic-early-error-sse", "text/event-stream",
                  "anthropic_overloaded_early_stream.sse") +
        R"(
    location ^~ /anthropic-529/ { return 529 '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'; }
    location ^~ /anthropic-400/ { return 400 '{"type":"error","error":{"type":"invalid_request_error","message":"messages: roles must alternate between user and assistant"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}'; }
    location ^~ /e500/ { return 500 '{"error":{"message":"boom"}}'; }
    location ^~ /negative-usage/ { default_type application/json; return 200 '{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":-1000000000,"completion_tokens":-5,"total_tokens":-1000000005,"prompt_tokens_details":{"cached_tokens":-7}}}'; }
    location ^~ /huge-usage/ { default_type application/json; return 200 '{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9223372036854775807,"completion_tokens":9223372036854775807,"total_tokens":0}}'; }
    location ^~ /e429/ { add_header Retry-After 1 always; return 429 '{"error":{"message":"slow down"}}'; }
  }
)";
    nginx_ = std::make_unique<test::NginxServer>(dir_, conf, nginx_port_);
  }

  static void TearDownTestSuite() {
    // Stop and join the serving threads before the servers (and their io_contexts) are destroyed.
    for (auto& [store, g] : gateways_) {
      g.gateway->stop();
      g.thread.join();
    }
    gateways_.clear();
    postgres_.reset();
    for (auto& engine : engine_) engine.kill();
    hang_.reset();
    endless_.reset();
    huge_line_.reset();
    cut_.reset();
    flaky_.reset();
    recorder_.reset();
    nginx_.reset();
    fs::remove_all(dir_);
  }

  static std::string nginx(const std::string& prefix) {
    return "http://127.0.0.1:" + std::to_string(nginx_port_) + "/" + prefix + "/v1";
  }
  static std::string root(const std::string& prefix) {
    return "http://127.0.0.1:" + std::to_string(nginx_port_) + "/" + prefix;
  }
  static std::string local(int port) { return "http://127.0.0.1:" + std::to_string(port) + "/v1"; }

  // One gateway per store for the suite; each test adds its own keys.
  static void ensure_gateway(const std::string& store) {
    if (gateways_.count(store)) return;
    std::string url = "sqlite://" + (dir_ / "gateway.db").string();
    if (store == "postgres") {
      // Missing server binaries fail the test (with what to install), they do not skip it.
      if (!postgres_) postgres_ = std::make_unique<test::PostgresServer>();
      url = postgres_->create_database("gateway");
    }
    // `junction eval` result files (the shape of tests/data/compare/eval-alpha.json) for
    // `model: "auto"`: tiny-cheap scores 0.62 on MMLU, tiny-good 0.81.
    const std::string quality_cheap = (dir_ / "eval-tiny-cheap.json").string();
    const std::string quality_good = (dir_ / "eval-tiny-good.json").string();
    std::ofstream(quality_cheap) << R"({"junction_eval_format": 1, "model": "tiny-cheap",
      "tasks": {"mmlu": {"metrics": {"acc": {"value": 0.62, "stderr": 0.004, "n": 57}}}}})";
    std::ofstream(quality_good) << R"({"junction_eval_format": 1, "model": "tiny-good",
      "tasks": {"mmlu": {"metrics": {"acc": {"value": 0.81, "stderr": 0.003, "n": 57}}}}})";
    const std::string quality_spare = (dir_ / "eval-tiny-spare.json").string();
    std::ofstream(quality_spare) << R"({"junction_eval_format": 1, "model": "tiny-spare",
      "tasks": {"mmlu": {"metrics": {"acc": {"value": 0.64, "stderr": 0.004, "n": 57}}}}})";
    std::string yaml = R"(listen: 127.0.0.1:0
admin_key: admin-secret
store: )" + url + R"(
routing: {strategy: least_outstanding, max_attempts: 3, backoff_base_ms: 5, backoff_max_ms: 20,
          circuit_breaker: {consecutive_failures: 2, open_ms: 400, min_requests: 100},
          quality: [")" +
                       quality_cheap + R"(", ")" + quality_good + R"(", ")" + quality_spare +
                       R"("],
          auto: {candidates: [tiny-cheap, tiny-good], metric: mmlu, min_score: 0.6}}
providers:
  - {name: openai, kind: openai, base_url: ")" +
                       nginx("openai") + R"(", api_key: upstream-key}
  - {name: openai-sse, kind: openai, base_url: ")" +
                       nginx("openai-sse") + R"("}
  - {name: deepseek, kind: openai, base_url: ")" +
                       nginx("deepseek") + R"("}
  - {name: e500, kind: openai, base_url: ")" +
                       nginx("e500") + R"("}
  - {name: e429, kind: openai, base_url: ")" +
                       nginx("e429") + R"("}
  - {name: negative-usage, kind: openai, base_url: ")" +
                       nginx("negative-usage") + R"("}
  - {name: huge-usage, kind: openai, base_url: ")" +
                       nginx("huge-usage") + R"("}
  - {name: hang, kind: openai, base_url: ")" +
                       local(hang_->port()) + R"(", first_byte_timeout_ms: 500}
  - {name: cut, kind: openai, base_url: ")" +
                       local(cut_->port()) + R"("}
  - {name: flaky, kind: openai, base_url: ")" +
                       local(flaky_->port()) + R"("}
  - {name: recorder, kind: openai, base_url: ")" +
                       local(recorder_->port()) + R"("}
  - {name: endless, kind: openai, base_url: ")" +
                       local(endless_->port()) + R"("}
  - {name: endless-slow, kind: openai, base_url: ")" +
                       local(endless_->port()) + R"(", stream_deadline_ms: 300}
  - {name: huge-line, kind: openai, base_url: ")" +
                       local(huge_line_->port()) + R"("}
  - {name: down, kind: openai, base_url: ")" +
                       local(free_port()) + R"(", connect_timeout_ms: 500}
  - {name: deepseek-sse, kind: openai, base_url: ")" +
                       nginx("deepseek-sse") + R"("}
  - {name: anthropic, kind: anthropic, base_url: ")" +
                       root("anthropic") + R"(", api_key: sk-ant-test}
  - {name: anthropic-sse, kind: anthropic, base_url: ")" +
                       root("anthropic-sse") + R"(", api_key: sk-ant-test}
  - {name: anthropic-tools, kind: anthropic, base_url: ")" +
                       root("anthropic-tools") + R"(", api_key: sk-ant-test}
  - {name: anthropic-tools-sse, kind: anthropic, base_url: ")" +
                       root("anthropic-tools-sse") + R"(", api_key: sk-ant-test}
  - {name: anthropic-thinking, kind: anthropic, base_url: ")" +
                       root("anthropic-thinking") + R"(", api_key: sk-ant-test}
  - {name: anthropic-thinking-sse, kind: anthropic, base_url: ")" +
                       root("anthropic-thinking-sse") + R"(", api_key: sk-ant-test}
  - {name: anthropic-overloaded-sse, kind: anthropic, base_url: ")" +
                       root("anthropic-overloaded-sse") + R"(", api_key: sk-ant-test}
  - {name: anthropic-early-error-sse, kind: anthropic, base_url: ")" +
                       root("anthropic-early-error-sse") + R"(", api_key: sk-ant-test}
  - {name: anthropic-529, kind: anthropic, base_url: ")" +
                       root("anthropic-529") + R"(", api_key: sk-ant-test}
  - {name: anthropic-400, kind: anthropic, base_url: ")" +
                       root("anthropic-400") + R"(", api_key: sk-ant-test}
  - {name: anthropic-badkey, kind: anthropic, base_url: ")" +
                       root("anthropic") + R"(", api_key: sk-ant-wrong}
  - {name: engine-a, kind: local, base_url: ")" +
                       local(engine_port_[0]) + R"("}
  - {name: engine-b, kind: local, base_url: ")" +
                       local(engine_port_[1]) + R"("}
models:
  - name: tiny-chat
    context_length: 256
    price: {input_per_mtok: 0.05, output_per_mtok: 0.10}
    deployments: [{provider: engine-a, model: tiny}, {provider: engine-b, model: tiny}]
  - name: recorded
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: recorder}]
  - name: tiny-cheap
    context_length: 256
    price: {input_per_mtok: 0.05, output_per_mtok: 0.10}
    deployments: [{provider: engine-a, model: tiny}]
  - name: tiny-good
    context_length: 256
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: engine-b, model: tiny}]
  - name: tiny-spare
    context_length: 256
    price: {input_per_mtok: 0.05, output_per_mtok: 0.10}
    deployments: [{provider: engine-a, model: tiny}]
  - name: tiny-pool
    auto: {candidates: [tiny-cheap, tiny-good], metric: mmlu, min_score: 0.7}
  - name: tiny-fast
    auto: {candidates: [tiny-spare, tiny-good], metric: mmlu, min_score: 0.6, within: 20}
  - name: recorded-context
    context_length: 1000
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: recorder}]
  - name: tiny-batch
    context_length: 256
    price: {input_per_mtok: 0, output_per_mtok: 1000}
    deployments: [{provider: engine-a, model: tiny}, {provider: engine-b, model: tiny}]
  - name: negative-usage
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: negative-usage}]
  - name: huge-usage
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: huge-usage}]
  - name: endless
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: endless}]
  - name: endless-deadline
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: endless-slow}]
  - name: huge-line
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: huge-line}]
  - name: gpt-test
    aliases: [gpt]
    context_length: 8192
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0, cached_input_per_mtok: 0.5}
    deployments:
      - {provider: openai, model: gpt-4.1}
      - {provider: e500}
      - {provider: e429}
      - {provider: hang}
      - {provider: down}
  - name: gpt-stream
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: openai-sse}, {provider: e500}]
  - name: reasoner
    price: {input_per_mtok: 0.55, output_per_mtok: 2.19, cached_input_per_mtok: 0.14}
    deployments: [{provider: deepseek}]
  - name: reasoner-stream
    price: {input_per_mtok: 0.55, output_per_mtok: 2.19, cached_input_per_mtok: 0.14}
    deployments: [{provider: deepseek-sse}]
  - name: claude-test
    context_length: 200000
    price: {input_per_mtok: 3.0, output_per_mtok: 15.0, cached_input_per_mtok: 0.3}
    deployments:
      - {provider: anthropic, model: claude-sonnet-4-5}
      - {provider: anthropic-529, model: claude-sonnet-4-5}
      - {provider: anthropic-400, model: claude-sonnet-4-5}
      - {provider: anthropic-badkey, model: claude-sonnet-4-5}
  - name: claude-stream
    price: {input_per_mtok: 3.0, output_per_mtok: 15.0, cached_input_per_mtok: 0.3}
    deployments: [{provider: anthropic-sse}, {provider: anthropic-529},
                  {provider: anthropic-early-error-sse}]
  - name: claude-tools
    price: {input_per_mtok: 3.0, output_per_mtok: 15.0}
    deployments: [{provider: anthropic-tools}]
  - name: claude-tools-stream
    price: {input_per_mtok: 3.0, output_per_mtok: 15.0}
    deployments: [{provider: anthropic-tools-sse}]
  - name: claude-thinking
    price: {input_per_mtok: 3.0, output_per_mtok: 15.0}
    deployments: [{provider: anthropic-thinking}]
  - name: claude-thinking-stream
    price: {input_per_mtok: 3.0, output_per_mtok: 15.0}
    deployments: [{provider: anthropic-thinking-sse}]
  - name: claude-overloaded
    price: {input_per_mtok: 3.0, output_per_mtok: 15.0}
    deployments: [{provider: anthropic-overloaded-sse}]
  - name: cutter
    price: {input_per_mtok: 1.0, output_per_mtok: 1.0}
    deployments: [{provider: cut}]
  - name: flaky-model
    price: {input_per_mtok: 1.0, output_per_mtok: 1.0}
    deployments: [{provider: flaky}]
  - name: broken
    deployments: [{provider: e500}]
    fallbacks: [reasoner]
  - name: all-fail
    deployments: [{provider: e500}, {provider: e429}]
  - name: slow
    deployments: [{provider: hang}]
)";
    GatewayConfig config = parse_gateway_config(yaml, "test.yaml", process_env());
    auto opened = open_store(config);
    RunningGateway& g = gateways_[store];
    g.gateway = std::make_unique<Gateway>(std::move(config), std::move(opened));
    g.thread = std::thread([gateway = g.gateway.get()] { gateway->run(); });
  }

  void SetUp() override {
    if (!nginx_->running())
      FAIL() << "nginx is not installed or did not start (scripts/install_deps.sh installs it)";
    ensure_gateway(GetParam());
  }

  Gateway& gateway() const { return *gateways_.at(GetParam()).gateway; }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(gateway().port()) + path;
  }

  static http::HttpClient& client() {
    static thread_local http::HttpClient c([] {
      http::HttpClientOptions o;
      o.connect_timeout = o.read_timeout = 20s;
      return o;
    }());
    return c;
  }

  Reply post(const std::string& path, const Json& body, const std::string& key) {
    auto [head, text] = client().post_text(url(path), {{"Authorization", "Bearer " + key}},
                                           body.dump(), "application/json");
    return {head.status, head, text};
  }

  Reply get(const std::string& path, const std::string& key) {
    auto [head, text] = client().get_text(url(path), {{"Authorization", "Bearer " + key}});
    return {head.status, head, text};
  }

  // Streams a chat completion; the data payloads in order.
  std::vector<std::string> stream(const Json& body, const std::string& key,
                                  http::HttpResponseHead* head_out = nullptr) {
    std::vector<std::string> events;
    const auto head =
        client().post_lines(url("/v1/chat/completions"), {{"Authorization", "Bearer " + key}},
                            body.dump(), "application/json", [&](std::string_view line) {
                              if (line.rfind("data: ", 0) == 0) events.emplace_back(line.substr(6));
                            });
    if (head_out) *head_out = head;
    EXPECT_EQ(head.status, 200) << head.error_body;
    return events;
  }

  // A new key: {id, key}.
  std::pair<std::string, std::string> new_key(double credits, Json extra = Json::object()) {
    Json body = {{"name", "test"}, {"credits", credits}};
    body.update(extra);
    const Reply r = post("/admin/keys", body, "admin-secret");
    EXPECT_EQ(r.status, 201) << r.head.error_body;
    const Json j = r.json();
    return {j["id"], j["key"]};
  }

  static Json chat(const std::string& model, int max_tokens = 16) {
    return {{"model", model},
            {"max_tokens", max_tokens},
            {"messages", {{{"role", "user"}, {"content", "Say hello"}}}}};
  }

  static Json only(Json body, std::vector<std::string> providers) {
    body["provider"] = {{"order", providers}, {"allow_fallbacks", true}};
    return body;
  }

  struct RunningGateway {
    std::unique_ptr<Gateway> gateway;
    std::thread thread;
  };

  static inline fs::path dir_;
  static inline std::unique_ptr<test::NginxServer> nginx_;
  static inline int nginx_port_ = 0;
  static inline std::unique_ptr<FaultServer> hang_, cut_, flaky_, recorder_, endless_, huge_line_;

  // GET /admin/audit: every key's granted - balance = settled + reserved, nothing left open.
  void expect_ledger_adds_up() {
    const Json audit = get("/admin/audit", "admin-secret").json();
    EXPECT_EQ(audit["ok"], true) << audit.dump(1);
    EXPECT_EQ(audit["open_reservations"], 0) << audit.dump(1);
  }
  static inline std::unique_ptr<test::PostgresServer> postgres_;
  static inline std::map<std::string, RunningGateway> gateways_;
  static inline test::ChildProcess engine_[2];
  static inline int engine_port_[2] = {0, 0};
};

TEST_P(GatewayE2E, NonStreamAnswerIsRewrittenAndCharged) {
  const auto [id, key] = new_key(1.0);
  const Reply r = post("/v1/chat/completions", only(chat("gpt"), {"openai"}), key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  const Json j = r.json();
  EXPECT_EQ(j["model"], "gpt-test");
  const std::string request_id = j["id"];
  EXPECT_EQ(request_id.rfind("gen-", 0), 0u);
  EXPECT_EQ(r.head.header("x-request-id"), request_id);
  EXPECT_EQ(r.head.header("x-junction-provider"), "openai");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "Hello! How can I help?");
  // 8 uncached at $1/M + 4 cached at $0.5/M + 5 out at $2/M = 8000 + 2000 + 10000 nano-USD.
  EXPECT_DOUBLE_EQ(j["usage"]["cost"].get<double>(), 20000e-9);
  const Json g = get("/v1/generation?id=" + request_id, key).json()["data"];
  EXPECT_EQ(g["total_cost"].get<double>(), 20000e-9);
  EXPECT_EQ(g["tokens_prompt"], 12);
  EXPECT_EQ(g["tokens_cached"], 4);
  EXPECT_EQ(g["provider"], "openai");
  const Json k = get("/admin/keys/" + id, "admin-secret").json();
  EXPECT_NEAR(k["credits"].get<double>(), 1.0 - 20000e-9, 1e-12);
  // Another key cannot read this generation.
  const auto [id2, key2] = new_key(1.0);
  EXPECT_EQ(get("/v1/generation?id=" + request_id, key2).status, 404);
}

TEST_P(GatewayE2E, UpstreamConnectionsAreKeptAliveAndPooled) {
  const auto [id, key] = new_key(1.0);
  UpstreamClient& upstream = gateway().state().upstream();
  const int64_t reused_before = upstream.reused_connections("openai");
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(post("/v1/chat/completions", only(chat("gpt"), {"openai"}), key).status, 200);
  // One request at a time: every request after the first rides the kept connection to nginx.
  EXPECT_GE(upstream.reused_connections("openai") - reused_before, 4);
  EXPECT_GE(upstream.idle_connections("openai"), 1u);
}

TEST_P(GatewayE2E, DeepSeekReasoningTokensAndCompletions) {
  const auto [id, key] = new_key(1.0);
  const Reply r = post("/v1/chat/completions", chat("reasoner", 64), key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  const Json j = r.json();
  EXPECT_EQ(j["choices"][0]["message"]["reasoning_content"], "Compare 9.11 and 9.8: 0.11 < 0.8.");
  const Json g = get("/v1/generation?id=" + j["id"].get<std::string>(), key).json()["data"];
  EXPECT_EQ(g["tokens_reasoning"], 22);
  EXPECT_EQ(g["tokens_cached"], 16);
  // 4 * 550 + 16 * 140 + 30 * 2190 nano-USD
  EXPECT_NEAR(g["total_cost"].get<double>(), (4 * 550 + 16 * 140 + 30 * 2190) * 1e-9, 1e-15);

  const Reply c = post(
      "/v1/completions",
      only({{"model", "gpt-test"}, {"prompt", "This is a"}, {"max_tokens", 7}}, {"openai"}), key);
  ASSERT_EQ(c.status, 200) << c.head.error_body;
  EXPECT_EQ(c.json()["choices"][0]["text"], "\n\nThis is indeed a test");
}

TEST_P(GatewayE2E, StreamPassesThroughWithUsageAndCost) {
  const auto [id, key] = new_key(1.0);
  Json body = chat("gpt-stream");
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body = only(body, {"openai-sse"});
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  const std::string request_id = head.header("x-request-id");
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const Json e = Json::parse(events[i]);
    EXPECT_EQ(e["id"], request_id);
    EXPECT_EQ(e["model"], "gpt-stream");
    if (!e["choices"].empty() && e["choices"][0]["delta"].contains("content"))
      text += e["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, "Hello! Hi");
  const Json usage = Json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 12);
  EXPECT_DOUBLE_EQ(usage["usage"]["cost"].get<double>(), (12 * 1000 + 5 * 2000) * 1e-9);
  EXPECT_EQ(head.header("x-junction-provider"), "openai-sse");
  const Json g = get("/v1/generation?id=" + request_id, key).json()["data"];
  EXPECT_EQ(g["streamed"], true);
  EXPECT_EQ(g["status"], "ok");

  // Without include_usage the client sees no usage chunk, and is still charged.
  body.erase("stream_options");
  const auto plain = stream(body, key);
  for (size_t i = 0; i + 1 < plain.size(); ++i)
    EXPECT_FALSE(Json::parse(plain[i]).contains("usage"));
}

TEST_P(GatewayE2E, FailoverBeforeFirstByte) {
  const auto [id, key] = new_key(1.0);
  for (const char* bad : {"e500", "e429", "down"}) {
    const Reply r = post("/v1/chat/completions", only(chat("gpt"), {bad, "openai"}), key);
    ASSERT_EQ(r.status, 200) << bad << ": " << r.head.error_body;
    EXPECT_EQ(r.head.header("x-junction-provider"), "openai") << bad;
  }
  // An upstream that got the request and did not answer in time may still generate (and bill)
  // it: not retried on another deployment, which would be paid for the same answer again.
  const int hang_before = hang_->requests();
  const double credits_before =
      get("/admin/keys/" + id, "admin-secret").json()["credits"].get<double>();
  const Reply timed_out = post("/v1/chat/completions", only(chat("gpt"), {"hang", "openai"}), key);
  EXPECT_EQ(timed_out.status, 504) << timed_out.head.error_body;
  EXPECT_EQ(timed_out.json()["error"]["code"], "upstream_timeout");
  EXPECT_EQ(hang_->requests(), hang_before + 1);
  EXPECT_EQ(get("/admin/keys/" + id, "admin-secret").json()["credits"].get<double>(),
            credits_before)
      << "the 504 must cost nothing";
  // Streams too: the 500 is retried before anything reached the client.
  Json body = only(chat("gpt-stream"), {"e500", "openai-sse"});
  body["stream"] = true;
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  EXPECT_EQ(head.header("x-junction-provider"), "openai-sse");
  EXPECT_EQ(events.back(), "[DONE]");
  // A model whose only deployment fails falls back to its configured fallback model.
  const Reply f = post("/v1/chat/completions", chat("broken"), key);
  ASSERT_EQ(f.status, 200) << f.head.error_body;
}

TEST_P(GatewayE2E, EveryDeploymentFailingIsA502Or504) {
  const auto [id, key] = new_key(1.0);
  Reply r = post("/v1/chat/completions", chat("all-fail"), key);
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.json()["error"]["type"], "server_error");
  EXPECT_EQ(r.head.header("x-junction-provider"), "none");
  r = post("/v1/chat/completions", chat("slow"), key);
  EXPECT_EQ(r.status, 504) << r.head.error_body;
  // Nothing was charged for failed requests.
  EXPECT_DOUBLE_EQ(get("/admin/keys/" + id, "admin-secret").json()["credits"].get<double>(), 1.0);
}

TEST_P(GatewayE2E, MidStreamFailureEndsWithAnErrorEvent) {
  const auto [id, key] = new_key(1.0);
  Json body = chat("cutter");
  body["stream"] = true;
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Json::parse(events[0])["choices"][0]["delta"]["content"], "Hel");
  const Json last = Json::parse(events[1]);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "error");
  EXPECT_EQ(last["error"]["type"], "upstream_error");
  const Json g = get("/v1/generation?id=" + head.header("x-request-id"), key).json()["data"];
  EXPECT_EQ(g["status"], "upstream_error");
  EXPECT_EQ(g["tokens_completion"], 1);  // what was streamed is charged
}

TEST_P(GatewayE2E, CircuitOpensAndRecovers) {
  const auto [id, key] = new_key(1.0);
  flaky_->set_mode(FaultServer::kFail);
  const int before = flaky_->requests();
  EXPECT_EQ(post("/v1/chat/completions", chat("flaky-model"), key).status, 502);
  EXPECT_EQ(post("/v1/chat/completions", chat("flaky-model"), key).status, 502);
  // Two failures in a row: open. The next request is refused without reaching the upstream.
  const Reply open = post("/v1/chat/completions", chat("flaky-model"), key);
  EXPECT_EQ(open.status, 503) << open.head.error_body;
  EXPECT_EQ(flaky_->requests(), before + 2);
  const Json listed = get("/admin/providers", "admin-secret").json();
  bool listed_open = false;
  for (const auto& p : listed["data"])
    if (p["provider"] == "flaky") listed_open = p["circuit"] == "open";
  EXPECT_TRUE(listed_open) << listed.dump();
  flaky_->set_mode(FaultServer::kOk);
  std::this_thread::sleep_for(450ms);
  const Reply probe = post("/v1/chat/completions", chat("flaky-model"), key);
  EXPECT_EQ(probe.status, 200) << probe.head.error_body;
  EXPECT_EQ(post("/v1/chat/completions", chat("flaky-model"), key).status, 200);
  const auto providers = get("/admin/providers", "admin-secret").json();  // kept alive for the loop
  for (const auto& p : providers["data"]) {
    if (p["provider"] == "flaky") {
      EXPECT_EQ(p["circuit"], "closed");
    }
  }
}

TEST_P(GatewayE2E, KeysModelsAndLimits) {
  EXPECT_EQ(post("/v1/chat/completions", chat("gpt"), "sk-jn-wrong").status, 401);
  EXPECT_EQ(post("/admin/keys", {{"name", "x"}}, "not-admin").status, 401);
  const auto [id, key] = new_key(1.0, {{"models", {"reasoner"}}, {"rpm", 1}});
  const Reply forbidden = post("/v1/chat/completions", chat("gpt"), key);
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.json()["error"]["code"], "model_not_allowed");
  const Json models = get("/v1/models", key).json();
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], "reasoner");
  EXPECT_EQ(models["data"][0]["pricing"]["prompt"], "5.5e-07");
  EXPECT_EQ(post("/v1/chat/completions", chat("reasoner"), key).status, 200);
  const Reply limited = post("/v1/chat/completions", chat("reasoner"), key);
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.head.header("retry-after").empty());
  EXPECT_EQ(post("/v1/chat/completions", chat("nope"), key).status, 404);

  // 402: the worst case (prompt bound + max_tokens at the price) exceeds the balance.
  const auto [poor_id, poor] = new_key(0.00001);
  const Reply broke = post("/v1/chat/completions", chat("gpt", 8000), poor);
  EXPECT_EQ(broke.status, 402);
  EXPECT_EQ(broke.json()["error"]["code"], "insufficient_credits");
  EXPECT_EQ(post("/admin/keys/" + poor_id + "/credits", {{"amount", 1.0}}, "admin-secret").status,
            200);
  EXPECT_EQ(post("/v1/chat/completions", only(chat("gpt", 8000), {"openai"}), poor).status, 200);
  const Json usage = get("/admin/usage?key_id=" + poor_id, "admin-secret").json();
  EXPECT_EQ(usage["data"].size(), 1u);
}

TEST_P(GatewayE2E, MonthlySpendLimit) {
  EXPECT_EQ(post("/admin/keys", {{"name", "x"}, {"monthly_limit", -1}}, "admin-secret").status,
            400);
  // Each request reserves 61000 nano-USD and costs 20000 (see ConcurrentRequestsNeverOverspend):
  // under a $0.0001 month, the third reservation (40000 spent + 61000) no longer fits.
  const auto [id, key] = new_key(1.0, {{"monthly_limit", 0.0001}});
  EXPECT_DOUBLE_EQ(get("/admin/keys/" + id, "admin-secret").json()["monthly_limit"].get<double>(),
                   0.0001);
  const Json body = only(chat("gpt", 16), {"openai"});
  EXPECT_EQ(post("/v1/chat/completions", body, key).status, 200);
  EXPECT_EQ(post("/v1/chat/completions", body, key).status, 200);
  const Reply over = post("/v1/chat/completions", body, key);
  EXPECT_EQ(over.status, 402);
  EXPECT_EQ(over.json()["error"]["code"], "monthly_limit_reached");
  EXPECT_NEAR(get("/admin/keys/" + id, "admin-secret").json()["credits"].get<double>(),
              1.0 - 2 * 20000e-9, 1e-12);
}

TEST_P(GatewayE2E, ConcurrentRequestsNeverOverspend) {
  // Each request reserves its worst case, 29 prompt tokens (13 bytes + 2 * 8) at $1/M and 16
  // max_tokens at $2/M = 61000 nano-USD, and costs 20000: the key's 200000 cover a handful.
  const Json body = only(chat("gpt", 16), {"openai"});
  const auto [id, key] = new_key(0.0002);
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t)
    threads.emplace_back([&] {
      const Reply r = post("/v1/chat/completions", body, key);
      (r.status == 200 ? ok : r.status == 402 ? refused : other)++;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(ok.load() + refused.load(), 64);
  Store& store = gateway().state().store();
  const NanoUsd left = store.key_by_id(id)->credits;
  NanoUsd spent = 0;
  int records = 0;
  for (const auto& u : store.usage(id, 0, 1000)) {
    spent += u.cost;
    ++records;
  }
  EXPECT_GE(left, 0);
  EXPECT_EQ(records, ok.load());
  EXPECT_EQ(left + spent, usd_to_nano(0.0002));
}

}  // namespace
}  // namespace junction::gateway

namespace junction::gateway {
namespace {

TEST_P(GatewayE2E, TwoEnginesServeChatAndStreamAndFailOver) {
  if (engine_port_[0] == 0 || engine_port_[1] == 0)
    FAIL() << "the junction binary is missing or its engines did not start";
  const auto [id, key] = new_key(1.0);
  std::set<std::string> providers;
  for (int i = 0; i < 10; ++i) {
    const Reply r = post("/v1/chat/completions", chat("tiny-chat", 4), key);
    ASSERT_EQ(r.status, 200) << r.head.error_body;
    providers.insert(r.head.header("x-junction-provider"));
    const Json j = r.json();
    EXPECT_EQ(j["model"], "tiny-chat");
    EXPECT_GT(j["usage"]["prompt_tokens"].get<int64_t>(), 0);
    EXPECT_GT(j["usage"]["cost"].get<double>(), 0);
  }
  EXPECT_EQ(providers, (std::set<std::string>{"engine-a", "engine-b"}));

  Json body = chat("tiny-chat", 4);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  const Json usage = Json::parse(events[events.size() - 2]);
  EXPECT_EQ(usage["usage"]["completion_tokens"], 4);
  const Json g = get("/v1/generation?id=" + head.header("x-request-id"), key).json()["data"];
  EXPECT_EQ(g["tokens_completion"], 4);
  EXPECT_EQ(g["status"], "ok");

  // Stop engine-a: requests that prefer it fail over to engine-b before the first byte.
  engine_[0].kill();
  for (int i = 0; i < 3; ++i) {
    const Reply r =
        post("/v1/chat/completions", only(chat("tiny-chat", 4), {"engine-a", "engine-b"}), key);
    ASSERT_EQ(r.status, 200) << r.head.error_body;
    EXPECT_EQ(r.head.header("x-junction-provider"), "engine-b");
  }
  // The ledger adds up: credits + recorded costs = what the key was given.
  NanoUsd spent = 0;
  for (const auto& u : gateway().state().store().usage(id, 0, 1000)) spent += u.cost;
  EXPECT_EQ(gateway().state().store().key_by_id(id)->credits + spent, usd_to_nano(1.0));
  // Back, on the same port (both stores' gateways were configured with it), for the tests
  // that follow when the whole binary runs in one process.
  start_engine(0, engine_port_[0]);
  engine_port_[0] = wait_for_engine(0);
}

}  // namespace
}  // namespace junction::gateway

// Anthropic (Messages API) deployments: nginx serves recorded Messages answers and streams only
// when the request carries x-api-key and anthropic-version; clients see OpenAI shapes.
namespace junction::gateway {
namespace {

// Concatenated content, reasoning and tool-call arguments of a streamed chat, and its ends.
struct StreamedChat {
  std::string content, reasoning, tool_id, tool_name, arguments, finish_reason;
  Json usage;
  bool done = false;
};

StreamedChat collect(const std::vector<std::string>& events, const std::string& request_id) {
  StreamedChat c;
  for (const auto& data : events) {
    if (data == "[DONE]") {
      c.done = true;
      continue;
    }
    const Json e = Json::parse(data);
    EXPECT_EQ(e["id"], request_id);
    EXPECT_EQ(e["object"], "chat.completion.chunk");
    if (e.contains("usage")) c.usage = e["usage"];
    for (const auto& choice : e["choices"]) {
      const Json& d = choice["delta"];
      if (d.contains("content") && d["content"].is_string()) c.content += d["content"];
      if (d.contains("reasoning_content") && d["reasoning_content"].is_string())
        c.reasoning += d["reasoning_content"];
      if (d.contains("tool_calls"))
        for (const auto& t : d["tool_calls"]) {
          EXPECT_EQ(t["index"], 0);
          if (t.contains("id")) c.tool_id = t["id"];
          if (t["function"].contains("name")) c.tool_name = t["function"]["name"];
          c.arguments += t["function"]["arguments"].get<std::string>();
        }
      if (choice["finish_reason"].is_string()) c.finish_reason = choice["finish_reason"];
    }
  }
  return c;
}

// `model: "auto"` picks the cheaper engine when both meet the bar and the better one when only
// it does; the choice and why are in x-junction-route, and the key pays the chosen model's price.
TEST_P(GatewayE2E, AutoPicksTheCheapestModelMeetingTheQualityBar) {
  if (engine_port_[0] == 0 || engine_port_[1] == 0)
    FAIL() << "the junction binary is missing or its engines did not start";
  const auto [id, key] = new_key(1.0);

  // The config's bar, mmlu >= 0.6: both meet it, tiny-cheap (engine-a) costs less.
  Reply r = post("/v1/chat/completions", chat("auto", 4), key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  EXPECT_EQ(r.head.header("x-junction-route"),
            "model=tiny-cheap; reason=cheapest meeting mmlu>=0.6 (0.62)");
  EXPECT_EQ(r.head.header("x-junction-provider"), "engine-a");
  Json j = r.json();
  EXPECT_EQ(j["model"], "tiny-cheap");
  // Charged at tiny-cheap's price: 0.05 and 0.10 USD per million prompt and completion tokens.
  const int64_t prompt = j["usage"]["prompt_tokens"];
  EXPECT_EQ(j["usage"]["completion_tokens"], 4);
  EXPECT_NEAR(j["usage"]["cost"].get<double>(), prompt * 0.05e-6 + 4 * 0.10e-6, 1e-9);

  // The request's bar, 0.7: only tiny-good (engine-b) meets it.
  Json body = chat("auto", 4);
  body["quality"] = {{"min_score", 0.7}};
  r = post("/v1/chat/completions", body, key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  EXPECT_EQ(r.head.header("x-junction-route"),
            "model=tiny-good; reason=cheapest meeting mmlu>=0.7 (0.81)");
  EXPECT_EQ(r.head.header("x-junction-provider"), "engine-b");
  j = r.json();
  EXPECT_EQ(j["model"], "tiny-good");
  EXPECT_NEAR(j["usage"]["cost"].get<double>(),
              j["usage"]["prompt_tokens"].get<int64_t>() * 1.0e-6 + 4 * 2.0e-6, 1e-9);

  // Streamed, the same choice.
  body["stream"] = true;
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  EXPECT_EQ(head.header("x-junction-route"),
            "model=tiny-good; reason=cheapest meeting mmlu>=0.7 (0.81)");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");

  // Nothing meets 0.9: a 400 that says why, nothing charged.
  body = chat("auto", 4);
  body["quality"] = {{"metric", "mmlu/acc"}, {"min_score", 0.9}};
  r = post("/v1/chat/completions", body, key);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "quality_bar_not_met");
  EXPECT_EQ(r.json()["error"]["message"],
            "No model for 'auto' meets the quality bar: none meets mmlu/acc>=0.9 (tiny-cheap: "
            "0.62, tiny-good: 0.81)");
  // A metric no result file measured: no candidate qualifies.
  body["quality"] = {{"metric", "hellaswag"}};
  r = post("/v1/chat/completions", body, key);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "quality_bar_not_met");
  expect_ledger_adds_up();
}

// Named auto pools: `tiny-pool` has its own bar (0.7: only tiny-good meets it), and a key allowed
// only the pool reaches its candidates through it, not directly. `tiny-fast` counts any model
// within 21 times the cheapest's cost (tiny-good's prices are 20 times tiny-spare's) as cheap
// enough and lets the live latency decide: tiny-spare (engine-a, cheaper) has never answered,
// tiny-good (engine-b) has, so tiny-good wins, and the header says so.
TEST_P(GatewayE2E, AutoPoolsInTheConfigChooseWithTheirOwnBarAndLiveLatency) {
  if (engine_port_[0] == 0 || engine_port_[1] == 0)
    FAIL() << "the junction binary is missing or its engines did not start";
  const auto [id, key] = new_key(1.0, {{"models", {"tiny-pool"}}});
  Reply r = post("/v1/chat/completions", chat("tiny-pool", 4), key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  EXPECT_EQ(r.head.header("x-junction-route"),
            "model=tiny-good; pool=tiny-pool; reason=cheapest meeting mmlu>=0.7 (0.81)");
  EXPECT_EQ(r.head.header("x-junction-provider"), "engine-b");
  Json j = r.json();
  EXPECT_EQ(j["model"], "tiny-good");
  EXPECT_NEAR(j["usage"]["cost"].get<double>(),
              j["usage"]["prompt_tokens"].get<int64_t>() * 1.0e-6 + 4 * 2.0e-6, 1e-9);
  EXPECT_EQ(post("/v1/chat/completions", chat("tiny-good", 4), key).status, 403);
  EXPECT_EQ(post("/v1/chat/completions", chat("tiny-fast", 4), key).status, 403);
  const Json listed = get("/v1/models", key).json();
  ASSERT_EQ(listed["data"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["data"][0]["id"], "tiny-pool");
  EXPECT_EQ(listed["data"][0]["auto"]["min_score"], 0.7);

  const auto [id2, any] = new_key(1.0);
  // tiny-good has a latency sample now (this request, if not the one above); tiny-spare has none.
  ASSERT_EQ(post("/v1/chat/completions", chat("tiny-good", 1), any).status, 200);
  r = post("/v1/chat/completions", chat("tiny-fast", 4), any);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  const std::string route = r.head.header("x-junction-route");
  EXPECT_EQ(route.substr(0, route.find('(')),
            "model=tiny-good; pool=tiny-fast; reason=lowest latency ")
      << route;
  EXPECT_NE(route.find("ms) of 2 within 2000% of the cheapest, meeting mmlu>=0.6 (0.81)"),
            std::string::npos)
      << route;
  EXPECT_EQ(r.json()["model"], "tiny-good");
  // A pool's bar is replaced by the request's like auto's: 0.9 is met by none.
  Json body = chat("tiny-fast", 4);
  body["quality"] = {{"min_score", 0.9}};
  r = post("/v1/chat/completions", body, any);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["message"],
            "No model for 'tiny-fast' meets the quality bar: none meets mmlu>=0.9 (tiny-spare: "
            "0.64, tiny-good: 0.81)");
  expect_ledger_adds_up();
}

TEST_P(GatewayE2E, AnthropicAnswerIsTranslatedAndCharged) {
  const auto [id, key] = new_key(1.0);
  const Reply r = post("/v1/chat/completions", only(chat("claude-test"), {"anthropic"}), key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  EXPECT_EQ(r.head.header("x-junction-provider"), "anthropic");
  const Json j = r.json();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "claude-test");
  EXPECT_EQ(j["id"], r.head.header("x-request-id"));
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "Hello! How can I help you today?");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  // input 12 + cache reads 8 = 20 prompt tokens, 8 of them cached; 10 out.
  EXPECT_EQ(j["usage"]["prompt_tokens"], 20);
  EXPECT_EQ(j["usage"]["completion_tokens"], 10);
  EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 8);
  // 12 * 3000 + 8 * 300 + 10 * 15000 nano-USD
  EXPECT_DOUBLE_EQ(j["usage"]["cost"].get<double>(), 188400e-9);
  const Json g = get("/v1/generation?id=" + j["id"].get<std::string>(), key).json()["data"];
  EXPECT_EQ(g["provider"], "anthropic");
  EXPECT_EQ(g["tokens_prompt"], 20);
  EXPECT_EQ(g["tokens_cached"], 8);
  EXPECT_DOUBLE_EQ(g["total_cost"].get<double>(), 188400e-9);
  EXPECT_NEAR(get("/admin/keys/" + id, "admin-secret").json()["credits"].get<double>(),
              1.0 - 188400e-9, 1e-12);

  // The Messages API has no text completions: 400, nothing charged.
  const Reply c = post("/v1/completions", {{"model", "claude-test"}, {"prompt", "x"}}, key);
  EXPECT_EQ(c.status, 400);
  EXPECT_EQ(c.json()["error"]["code"], "chat_only_model");
  // A request the translation refuses (n > 1) is a 400 naming the field.
  Json n2 = only(chat("claude-test"), {"anthropic"});
  n2["n"] = 2;
  const Reply bad = post("/v1/chat/completions", n2, key);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["error"]["param"], "n");
}

TEST_P(GatewayE2E, AnthropicErrorsFailOverOrPassThroughAsOpenAIErrors) {
  const auto [id, key] = new_key(1.0);
  // 529 overloaded_error is retried on the next deployment before the first byte.
  const Reply r =
      post("/v1/chat/completions", only(chat("claude-test"), {"anthropic-529", "anthropic"}), key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  EXPECT_EQ(r.head.header("x-junction-provider"), "anthropic");
  // A 400 is the request's fault: the client gets it, in OpenAI's error shape.
  const Reply rejected =
      post("/v1/chat/completions", only(chat("claude-test"), {"anthropic-400"}), key);
  EXPECT_EQ(rejected.status, 400);
  const Json e = rejected.json()["error"];
  EXPECT_EQ(e["type"], "invalid_request_error");
  EXPECT_EQ(e["message"], "messages: roles must alternate between user and assistant");
  EXPECT_TRUE(e.contains("param"));
  // Without the right x-api-key the recorded upstream answers authentication_error.
  const Reply unauthorized =
      post("/v1/chat/completions", only(chat("claude-test"), {"anthropic-badkey"}), key);
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(unauthorized.json()["error"]["type"], "authentication_error");
  // Streams fail over too.
  Json body = only(chat("claude-stream"), {"anthropic-529", "anthropic-sse"});
  body["stream"] = true;
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  EXPECT_EQ(head.header("x-junction-provider"), "anthropic-sse");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  // So does a stream whose overloaded_error event comes before its first token: nothing had
  // reached the client yet.
  body = only(chat("claude-stream"), {"anthropic-early-error-sse", "anthropic-sse"});
  body["stream"] = true;
  const auto retried = stream(body, key, &head);
  EXPECT_EQ(head.header("x-junction-provider"), "anthropic-sse");
  ASSERT_FALSE(retried.empty());
  EXPECT_EQ(retried.back(), "[DONE]");
  EXPECT_EQ(Json::parse(retried[0])["choices"][0]["delta"]["content"], "Hello");
}

TEST_P(GatewayE2E, AnthropicStreamIsTranslatedWithUsageAndCost) {
  const auto [id, key] = new_key(1.0);
  Json body = only(chat("claude-stream"), {"anthropic-sse"});
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  const std::string request_id = head.header("x-request-id");
  // three deltas (the first with the role), finish, usage, [DONE]
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(Json::parse(events[0])["choices"][0]["delta"]["role"], "assistant");
  const StreamedChat c = collect(events, request_id);
  EXPECT_TRUE(c.done);
  EXPECT_EQ(c.content, "Hello! How can I help you today?");
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_TRUE(Json::parse(events[4])["choices"].empty());
  EXPECT_EQ(c.usage["prompt_tokens"], 20);
  EXPECT_EQ(c.usage["completion_tokens"], 10);
  EXPECT_EQ(c.usage["prompt_tokens_details"]["cached_tokens"], 8);
  EXPECT_DOUBLE_EQ(c.usage["cost"].get<double>(), 188400e-9);
  const Json g = get("/v1/generation?id=" + request_id, key).json()["data"];
  EXPECT_EQ(g["status"], "ok");
  EXPECT_EQ(g["streamed"], true);
  EXPECT_EQ(g["tokens_completion"], 10);

  // Without include_usage no usage chunk reaches the client; the charge is the same.
  body.erase("stream_options");
  const auto plain = stream(body, key);
  for (const auto& e : plain) {
    if (e != "[DONE]") {
      EXPECT_FALSE(Json::parse(e).contains("usage"));
    }
  }
  NanoUsd spent = 0;
  for (const auto& u : gateway().state().store().usage(id, 0, 100)) spent += u.cost;
  EXPECT_EQ(spent, 2 * 188400);
}

TEST_P(GatewayE2E, AnthropicToolUseWholeAndStreamed) {
  const auto [id, key] = new_key(1.0);
  Json body = chat("claude-tools", 1024);
  body["tools"] = Json::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}])");
  const Reply r = post("/v1/chat/completions", body, key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  const Json m = r.json()["choices"][0];
  EXPECT_EQ(m["finish_reason"], "tool_calls");
  EXPECT_EQ(m["message"]["content"], "I'll check the current weather in San Francisco for you.");
  const Json call = m["message"]["tool_calls"][0];
  EXPECT_EQ(call["id"], "toolu_01A09q90qw90lq917835lq9");
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["function"]["name"], "get_weather");
  EXPECT_EQ(Json::parse(call["function"]["arguments"].get<std::string>()),
            Json::parse(R"({"location": "San Francisco, CA", "unit": "celsius"})"));
  EXPECT_EQ(r.json()["usage"]["prompt_tokens"], 472);
  EXPECT_DOUBLE_EQ(r.json()["usage"]["cost"].get<double>(), (472 * 3000 + 89 * 15000) * 1e-9);

  body["model"] = "claude-tools-stream";
  body["stream"] = true;
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  const StreamedChat c = collect(events, head.header("x-request-id"));
  EXPECT_TRUE(c.done);
  EXPECT_EQ(c.content, "Okay, let's check the weather for San Francisco, CA:");
  EXPECT_EQ(c.tool_id, "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
  EXPECT_EQ(c.tool_name, "get_weather");
  EXPECT_EQ(Json::parse(c.arguments),
            Json::parse(R"({"location": "San Francisco, CA", "unit": "fahrenheit"})"));
  EXPECT_EQ(c.finish_reason, "tool_calls");
  const Json g = get("/v1/generation?id=" + head.header("x-request-id"), key).json()["data"];
  EXPECT_EQ(g["tokens_prompt"], 472);
  EXPECT_EQ(g["tokens_completion"], 89);
}

TEST_P(GatewayE2E, AnthropicThinkingBecomesReasoningContent) {
  const auto [id, key] = new_key(1.0);
  Json body = chat("claude-thinking", 2048);
  body["reasoning"] = {{"max_tokens", 1024}};
  const Reply r = post("/v1/chat/completions", body, key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  const Json m = r.json()["choices"][0]["message"];
  EXPECT_EQ(m["reasoning_content"], "27 * 453 = 27 * 400 + 27 * 53 = 10800 + 1431 = 12231.");
  EXPECT_EQ(m["content"], "27 * 453 = 12,231");
  EXPECT_EQ(r.json()["usage"]["completion_tokens"], 310);

  body["model"] = "claude-thinking-stream";
  body["stream"] = true;
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  const StreamedChat c = collect(events, head.header("x-request-id"));
  EXPECT_EQ(c.reasoning, "27 * 453 = 27 * 400 + 27 * 53 = 10800 + 1431 = 12231.");
  EXPECT_EQ(c.content, "27 * 453 = 12,231");
  EXPECT_EQ(c.finish_reason, "stop");
  // A reasoning budget that does not fit under max_tokens is refused before any upstream call.
  Json tight = chat("claude-thinking", 1000);
  tight["reasoning"] = {{"max_tokens", 1024}};
  EXPECT_EQ(post("/v1/chat/completions", tight, key).status, 400);
}

TEST_P(GatewayE2E, AnthropicErrorEventMidStreamKeepsTheContract) {
  const auto [id, key] = new_key(1.0);
  Json body = chat("claude-overloaded");
  body["stream"] = true;
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  ASSERT_EQ(events.size(), 2u);  // "Hel", the error event; no [DONE]
  EXPECT_EQ(Json::parse(events[0])["choices"][0]["delta"]["content"], "Hel");
  const Json last = Json::parse(events[1]);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "error");
  EXPECT_EQ(last["error"]["type"], "upstream_error");
  EXPECT_NE(last["error"]["message"].get<std::string>().find("overloaded_error"),
            std::string::npos);
  const Json g = get("/v1/generation?id=" + head.header("x-request-id"), key).json()["data"];
  EXPECT_EQ(g["status"], "upstream_error");
}

TEST_P(GatewayE2E, DeepSeekReasonerStreamPassesReasoningThrough) {
  const auto [id, key] = new_key(1.0);
  Json body = chat("reasoner-stream", 64);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  http::HttpResponseHead head;
  const auto events = stream(body, key, &head);
  const StreamedChat c = collect(events, head.header("x-request-id"));
  EXPECT_TRUE(c.done);
  EXPECT_EQ(c.reasoning, "Compare 9.11 and 9.8: 0.11 < 0.8.");
  EXPECT_EQ(c.content, "9.11 is smaller.");
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.usage["completion_tokens_details"]["reasoning_tokens"], 22);
  EXPECT_NEAR(c.usage["cost"].get<double>(), (4 * 550 + 16 * 140 + 30 * 2190) * 1e-9, 1e-15);
}

}  // namespace
}  // namespace junction::gateway

// Money that adds up whatever the request or the upstream says: every prompt of a batch is
// reserved and charged, sizes that would overflow the reservation are refused, and usage an
// upstream reports is clamped to what was reserved.
namespace junction::gateway {
namespace {

TEST_P(GatewayE2E, EveryPromptOfABatchIsCharged) {
  if (engine_port_[0] == 0 || engine_port_[1] == 0)
    FAIL() << "the junction binary is missing or its engines did not start";
  const auto [id, key] = new_key(10.0);
  const Json body = {{"model", "tiny-batch"},
                     {"prompt", std::vector<std::string>(16, "hello")},
                     {"max_tokens", 50},
                     {"ignore_eos", true}};
  // 800 tokens on the tiny model, one thread, four sequences at a time: slow on a loaded machine.
  http::HttpClientOptions patient;
  patient.connect_timeout = patient.read_timeout = 120s;
  auto [head, text] = http::HttpClient(patient).post_text(url("/v1/completions"),
                                                          {{"Authorization", "Bearer " + key}},
                                                          body.dump(), "application/json");
  const Reply r{head.status, head, text};
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  EXPECT_EQ(r.json()["choices"].size(), 16u);
  EXPECT_EQ(r.json()["usage"]["completion_tokens"], 16 * 50);
  // $1000 per million output tokens = 1e6 nano-USD a token; prompts are free.
  constexpr NanoUsd kCharge = 16 * 50 * 1'000'000LL;
  Store& store = gateway().state().store();
  EXPECT_EQ(store.key_by_id(id)->credits, usd_to_nano(10.0) - kCharge);
  const auto records = store.usage(id, 0, 10);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].cost, kCharge);
  EXPECT_EQ(records[0].tokens.completion_tokens, 16 * 50);
}

TEST_P(GatewayE2E, SizesThatWouldOverflowTheReservationAreRefused) {
  const auto [id, key] = new_key(1.0);
  const auto refused = [&](const std::string& path, const Json& body, const std::string& param) {
    const Reply r = post(path, body, key);
    EXPECT_EQ(r.status, 400) << path << " with too large '" << param << "'";
    if (r.status == 400) {
      EXPECT_EQ(r.json()["error"]["param"], param) << r.head.error_body;
    }
  };
  Json huge_n = only(chat("gpt", 8), {"openai"});
  huge_n["n"] = int64_t{1} << 62;
  refused("/v1/chat/completions", huge_n, "n");
  huge_n["n"] = 129;
  refused("/v1/chat/completions", huge_n, "n");
  // Over the model's context_length (8192), and with no context_length known, over 1 << 20.
  refused("/v1/chat/completions", only(chat("gpt", 8193), {"openai"}), "max_tokens");
  Json huge_max = chat("gpt-stream", 8);
  huge_max["max_completion_tokens"] = int64_t{1} << 62;
  refused("/v1/chat/completions", huge_max, "max_completion_tokens");
  refused("/v1/completions",
          only({{"model", "gpt-test"},
                {"prompt", std::vector<std::string>(2049, "a")},
                {"max_tokens", 1}},
               {"openai"}),
          "prompt");
  // Nothing was reserved or charged.
  EXPECT_EQ(gateway().state().store().key_by_id(id)->credits, usd_to_nano(1.0));
}

TEST_P(GatewayE2E, AdminAmountsOutsideInt64NanoUsdAreRefused) {
  Reply r = post("/admin/keys", {{"name", "x"}, {"credits", 1e20}}, "admin-secret");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["param"], "credits");
  r = post("/admin/keys", {{"name", "x"}, {"daily_limit", 1e20}}, "admin-secret");
  EXPECT_EQ(r.status, 400);
  const auto [id, key] = new_key(1.0);
  r = post("/admin/keys/" + id + "/credits", {{"amount", 1e20}}, "admin-secret");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["param"], "amount");
  EXPECT_EQ(gateway().state().store().key_by_id(id)->credits, usd_to_nano(1.0));
}

TEST_P(GatewayE2E, UpstreamUsageIsClampedToTheReservation) {
  const auto [id, key] = new_key(1.0);
  Store& store = gateway().state().store();
  // Negative counts would have been a refund larger than the reservation: a credit.
  Reply r = post("/v1/chat/completions", chat("negative-usage", 16), key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  EXPECT_EQ(store.key_by_id(id)->credits, usd_to_nano(1.0));
  // Counts near INT64_MAX overflowed the cost; now it is the reservation: 29 prompt tokens
  // (13 bytes + 2 * 8) at $1/M and 16 max_tokens at $2/M = 61000 nano-USD.
  r = post("/v1/chat/completions", chat("huge-usage", 16), key);
  ASSERT_EQ(r.status, 200) << r.head.error_body;
  EXPECT_EQ(store.key_by_id(id)->credits, usd_to_nano(1.0) - 61000);
  NanoUsd spent = 0;
  for (const auto& u : store.usage(id, 0, 10)) {
    EXPECT_GE(u.tokens.prompt_tokens, 0);
    EXPECT_GE(u.tokens.completion_tokens, 0);
    EXPECT_GE(u.tokens.cached_tokens, 0);
    spent += u.cost;
  }
  EXPECT_EQ(spent, 61000);
  expect_ledger_adds_up();
}

// Streams that would never end or fill memory: cut with the error event once past what was
// reserved or past the provider's deadline, and a 10 MB line refused at max_event_bytes (4 MiB)
// before anything reached the client. Each is recorded and charged at most its reservation,
// and the ledger adds up.
TEST_P(GatewayE2E, EndlessAndHugeStreamsAreCutAndTheLedgerAddsUp) {
  const auto [id, key] = new_key(1.0);
  for (const char* model : {"endless", "endless-deadline"}) {
    Json body = chat(model, 16);
    body["stream"] = true;
    if (std::string(model) == "endless-deadline") body["max_tokens"] = 100'000;
    http::HttpResponseHead head;
    const auto events = stream(body, key, &head);
    ASSERT_FALSE(events.empty()) << model;
    const Json last = Json::parse(events.back());
    EXPECT_EQ(last["choices"][0]["finish_reason"], "error") << model;
    EXPECT_NE(last["error"]["message"].get<std::string>().find(
                  std::string(model) == "endless" ? "reserved" : "deadline"),
              std::string::npos)
        << last.dump();
    if (std::string(model) == "endless") {
      EXPECT_LE(events.size(), 16u + 16u + 3u);
    }
    const Json g = get("/v1/generation?id=" + head.header("x-request-id"), key).json()["data"];
    EXPECT_EQ(g["status"], "upstream_error") << model;
  }
  Json body = chat("huge-line", 16);
  body["stream"] = true;
  const Reply r = post("/v1/chat/completions", body, key);
  EXPECT_EQ(r.status, 502) << r.head.error_body;
  EXPECT_NE(r.json()["error"]["message"].get<std::string>().find("longer than"), std::string::npos)
      << r.head.error_body;
  expect_ledger_adds_up();
}

TEST_P(GatewayE2E, TheReservedBoundIsWrittenIntoTheUpstreamBody) {
  const auto [id, key] = new_key(1.0);
  const auto sent = [&](Json body) {
    const Reply r = post("/v1/chat/completions", body, key);
    EXPECT_EQ(r.status, 200) << r.head.error_body;
    return Json::parse(recorder_->last_body());
  };
  Json body = chat("recorded");
  body.erase("max_tokens");
  // No max_tokens and no context_length known: the gateway reserved 4096 a choice, and says so.
  EXPECT_EQ(sent(body)["max_tokens"], 4096);
  Json asked = body;
  asked["max_completion_tokens"] = 20;
  EXPECT_FALSE(sent(asked).contains("max_tokens"));
  EXPECT_EQ(sent(chat("recorded", 16))["max_tokens"], 16);
  // llama.cpp's n_predict wins over max_tokens there: above the bound, or unlimited, it is lowered.
  for (int64_t n_predict : {int64_t{100000}, int64_t{-1}}) {
    Json llama = body;
    llama["n_predict"] = n_predict;
    const Json up = sent(llama);
    EXPECT_EQ(up["n_predict"], 4096) << n_predict;
    EXPECT_EQ(up["max_tokens"], 4096) << n_predict;
  }
  Json llama = chat("recorded", 16);
  llama["n_predict"] = 8;
  EXPECT_EQ(sent(llama)["n_predict"], 8);
  // With a context_length, the context bounds the upstream: nothing is added (a max_tokens of
  // the whole context would be refused with the prompt by OpenAI-style upstreams).
  Json in_context = body;
  in_context["model"] = "recorded-context";
  EXPECT_FALSE(sent(in_context).contains("max_tokens"));
  in_context["n_predict"] = 5000;
  EXPECT_EQ(sent(in_context)["n_predict"], 1000);
}

INSTANTIATE_TEST_SUITE_P(Stores, GatewayE2E, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace junction::gateway
