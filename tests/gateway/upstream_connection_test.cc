// UpstreamClient's plain-http path (upstream_connection.cc) against a raw TCP server in this
// process: answers whole and chunked, a kept connection the upstream closed while idle (sent
// again once on a new one), and the first-byte and stall timeouts.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tests/support/loopback.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/upstream_client.h"

namespace junction::gateway {
namespace {

using namespace std::chrono_literals;

// Accepts connections one after the other; on each, answers requests with `answer(n)` (n: the
// request's number over all connections) until the answer says to close, then closes.
class ScriptedServer {
 public:
  struct Answer {
    std::string bytes;   // written after the request arrived
    bool close = false;  // close the connection after writing
    std::chrono::milliseconds delay{0};
  };
  explicit ScriptedServer(std::function<Answer(int)> answer) : answer_(std::move(answer)) {
    fd_ = test::listen_on_loopback(&port_, 16);
    thread_ = std::thread([this] { loop(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int connections() const { return connections_; }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      serve(c);
      ::close(c);
    }
  }
  // One request: its head up to the blank line and Content-Length bytes.
  bool read_request(int c) {
    std::string in;
    char buf[4096];
    while (!stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
      const size_t end = in.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      const size_t cl = in.find("Content-Length: ");
      const size_t length = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
      if (in.size() >= end + 4 + length) return true;
    }
    return false;
  }
  void serve(int c) {
    while (read_request(c)) {
      const Answer a = answer_(requests_++);
      for (auto waited = 0ms; waited < a.delay && !stop_; waited += 10ms)
        std::this_thread::sleep_for(10ms);
      (void)!::send(c, a.bytes.data(), a.bytes.size(), MSG_NOSIGNAL);
      if (a.close) return;
    }
  }

  std::function<Answer(int)> answer_;
  int fd_ = -1, port_ = 0;
  int requests_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

ProviderConfig provider(const ScriptedServer& s) {
  ProviderConfig p;
  p.name = "scripted";
  p.kind = "openai";
  p.base_url = s.base_url();
  p.first_byte_timeout_ms = 300;
  p.stall_timeout_ms = 200;
  return p;
}

TEST(UpstreamConnection, KeptConnectionClosedWhileIdleIsReplacedOnce) {
  // The first answer keeps the connection, then the server closes it (as an upstream whose
  // keep-alive timeout ran out); the second request must go out again on a new connection.
  ScriptedServer server([](int n) {
    return ScriptedServer::Answer{ok(R"({"n":)" + std::to_string(n) + "}"), /*close=*/true};
  });
  UpstreamClient client;
  const ProviderConfig p = provider(server);
  auto [head1, text1] = client.post_json(p, "/chat/completions", "{}");
  EXPECT_EQ(head1.status, 200);
  EXPECT_EQ(text1, R"({"n":0})");
  EXPECT_EQ(client.idle_connections("scripted"), 1u);  // kept: the answer did not say close
  std::this_thread::sleep_for(50ms);                   // the server has closed it by now
  auto [head2, text2] = client.post_json(p, "/chat/completions", "{}");
  EXPECT_EQ(head2.status, 200);
  EXPECT_EQ(text2, R"({"n":1})");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(client.reused_connections("scripted"), 1);
}

TEST(UpstreamConnection, ChunkedLinesAndErrorBodies) {
  ScriptedServer server([](int n) {
    if (n == 0)
      return ScriptedServer::Answer{
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
          "8\r\ndata: a\n\r\n"
          "9\r\n\ndata: b\r\r\n"
          "1\r\n\n\r\n0\r\n\r\n"};
    return ScriptedServer::Answer{
        "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 9\r\n\r\nslow down", true};
  });
  UpstreamClient client;
  const ProviderConfig p = provider(server);
  std::vector<std::string> lines;
  const auto head = client.post_stream(p, "/chat/completions", "{}",
                                       [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(head.status, 200);
  // "\r" and "\n" of the last line arrive in different chunks.
  EXPECT_EQ(lines, (std::vector<std::string>{"data: a", "", "data: b"}));
  auto [rejected, text] = client.post_json(p, "/chat/completions", "{}");
  EXPECT_EQ(rejected.status, 429);
  EXPECT_EQ(rejected.error_body, "slow down");
  EXPECT_EQ(server.connections(), 1);  // the stream's connection carried the second request
}

TEST(UpstreamConnection, FirstByteAndStallTimeouts) {
  ScriptedServer server([](int n) {
    if (n == 0) return ScriptedServer::Answer{ok("{}"), true, 2000ms};  // silent past 300 ms
    // A head and part of a body, then silence past the 200 ms stall bound.
    return ScriptedServer::Answer{
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\":", false, 0ms};
  });
  UpstreamClient client;
  const ProviderConfig p = provider(server);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    client.post_json(p, "/chat/completions", "{}");
    FAIL() << "no timeout";
  } catch (const http::NetworkError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 1500ms);
  EXPECT_EQ(client.idle_connections("scripted"), 0u);  // a failed connection is not kept
  try {
    client.post_json(p, "/chat/completions", "{}");
    FAIL() << "no stall timeout";
  } catch (const http::NetworkError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace junction::gateway
