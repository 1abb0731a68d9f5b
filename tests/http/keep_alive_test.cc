// http::HttpClient's keep-alive and timeouts against a real TCP server on 127.0.0.1 whose
// behaviour is scripted per request: answer and keep the connection, answer with `Connection:
// close`, close without answering (what a server does when its idle timeout fires as a request
// arrives), cut the answer after a few bytes of its head, stall in the body, or never answer.
// The server counts connections and requests, so the tests see what went over the wire.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/support/loopback.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/http_client.h"

namespace junction::http {
namespace {

using namespace std::chrono_literals;

enum class Act {
  kAnswer,       // 200 with a body, connection kept
  kAnswerClose,  // 200 with `Connection: close`, then close
  kDrop,         // close without a byte of answer
  kHalfHead,     // "HTTP/1.1 200" and close
  kStallBody,    // the head and half the body, then silence
  kHeadOnly,     // a chunked head, then silence (an engine still reading the prompt)
  kNoHead,       // silence
};

class ScriptedServer {
 public:
  // script(n): what to do with the n-th request (0-based, across connections).
  explicit ScriptedServer(std::function<Act(int)> script) : script_(std::move(script)) {
    fd_ = test::listen_on_loopback(&port_, 16);
    thread_ = std::thread([this] { loop(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    for (auto& t : connections_) t.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/x"; }
  int connections() const { return n_connections_; }
  int requests() const { return n_requests_; }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++n_connections_;
      connections_.emplace_back([this, c] { serve(c); });
    }
  }

  // Reads one request (head + Content-Length body); false when the client closed or we stop.
  bool read_request(int c, std::string& in) {
    char buf[4096];
    for (;;) {
      const size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        const size_t cl = in.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(in.substr(cl + 16));
        if (in.size() >= end + 4 + length) {
          in.erase(0, end + 4 + length);
          return true;
        }
      }
      pollfd p{c, POLLIN, 0};
      if (stop_) return false;
      if (::poll(&p, 1, 20) <= 0) continue;
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
  }

  void send_all(int c, const std::string& s) { (void)!::send(c, s.data(), s.size(), MSG_NOSIGNAL); }

  void idle_until_stopped() {
    while (!stop_) std::this_thread::sleep_for(10ms);
  }

  void serve(int c) {
    std::string in;
    while (read_request(c, in)) {
      const Act act = script_(n_requests_++);
      const std::string body = "{\"n\":" + std::to_string(n_requests_.load()) + "}";
      const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
      if (act == Act::kAnswer) {
        send_all(c, head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        continue;
      }
      if (act == Act::kAnswerClose)
        send_all(c, head + "Content-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n" + body);
      if (act == Act::kHalfHead) send_all(c, "HTTP/1.1 200");
      if (act == Act::kStallBody) {
        send_all(c, head + "Content-Length: 100\r\n\r\n{\"partial\":");
        idle_until_stopped();
      }
      if (act == Act::kHeadOnly) {
        send_all(c, head + "Transfer-Encoding: chunked\r\n\r\n");
        idle_until_stopped();
      }
      if (act == Act::kNoHead) idle_until_stopped();
      break;
    }
    ::close(c);
  }

  std::function<Act(int)> script_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> n_connections_{0}, n_requests_{0};
  std::thread thread_;
  std::vector<std::thread> connections_;
};

HttpClientOptions keep_alive_options() {
  HttpClientOptions o;
  o.keep_alive = true;
  o.connect_timeout = 2s;
  o.first_byte_timeout = 2s;
  o.read_timeout = 2s;
  return o;
}

std::string post(HttpClient& client, const std::string& url) {
  auto [head, body] = client.post_text(url, {}, "{\"q\":1}", "application/json");
  EXPECT_EQ(head.status, 200);
  return body;
}

TEST(HttpKeepAlive, RequestsShareOneConnection) {
  ScriptedServer server([](int) { return Act::kAnswer; });
  HttpClient client(keep_alive_options());
  EXPECT_EQ(post(client, server.url()), "{\"n\":1}");
  EXPECT_EQ(post(client, server.url()), "{\"n\":2}");
  EXPECT_EQ(post(client, server.url()), "{\"n\":3}");
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.reused_connections(), 2);
  EXPECT_TRUE(client.has_idle_connection());
}

TEST(HttpKeepAlive, WithoutKeepAliveEachRequestConnects) {
  ScriptedServer server([](int) { return Act::kAnswer; });
  HttpClientOptions o = keep_alive_options();
  o.keep_alive = false;
  HttpClient client(o);
  post(client, server.url());
  post(client, server.url());
  EXPECT_EQ(server.connections(), 2);
  EXPECT_FALSE(client.has_idle_connection());
}

TEST(HttpKeepAlive, ConnectionCloseFromTheServerIsHonoured) {
  ScriptedServer server([](int) { return Act::kAnswerClose; });
  HttpClient client(keep_alive_options());
  post(client, server.url());
  EXPECT_FALSE(client.has_idle_connection());
  post(client, server.url());
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(client.reused_connections(), 0);
}

TEST(HttpKeepAlive, ConnectionClosedWhileIdleIsNotUsed) {
  // The server answers, keeps the connection, then closes it on the next request without a
  // byte of answer; by then the client may or may not have seen the close (the poll check
  // catches a close that already arrived, the stale retry one that races with the request).
  ScriptedServer server([](int n) { return n == 1 ? Act::kDrop : Act::kAnswer; });
  HttpClient client(keep_alive_options());
  EXPECT_EQ(post(client, server.url()), "{\"n\":1}");
  // Sent on the kept connection, dropped unanswered, sent again on a new one.
  EXPECT_EQ(post(client, server.url()), "{\"n\":3}");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests(), 3);
}

TEST(HttpKeepAlive, ServerClosedConnectionIsDetectedBeforeReuse) {
  ScriptedServer server([](int) { return Act::kAnswerClose; });
  HttpClientOptions o = keep_alive_options();
  HttpClient client(o);
  post(client, server.url());
  std::this_thread::sleep_for(50ms);
  post(client, server.url());
  EXPECT_EQ(server.requests(), 2);  // nothing sent on the closed connection
}

TEST(HttpKeepAlive, AnswerCutAfterItsFirstByteIsNotResent) {
  // Once a byte of the answer arrived the server may have acted on the request: no retry.
  ScriptedServer server([](int n) { return n == 1 ? Act::kHalfHead : Act::kAnswer; });
  HttpClient client(keep_alive_options());
  post(client, server.url());
  EXPECT_THROW(client.post_text(server.url(), {}, "{}", "application/json"), NetworkError);
  EXPECT_EQ(server.requests(), 2);
  EXPECT_FALSE(client.has_idle_connection());
  EXPECT_EQ(post(client, server.url()), "{\"n\":3}");  // the failed connection was discarded
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpKeepAlive, IdleTimeoutDropsAnOldConnection) {
  ScriptedServer server([](int) { return Act::kAnswer; });
  HttpClientOptions o = keep_alive_options();
  o.idle_timeout = 30ms;
  HttpClient client(o);
  post(client, server.url());
  std::this_thread::sleep_for(80ms);
  post(client, server.url());
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(client.reused_connections(), 0);
}

TEST(HttpTimeouts, FirstByteTimeoutBoundsTheWaitForTheHead) {
  ScriptedServer server([](int) { return Act::kNoHead; });
  HttpClientOptions o = keep_alive_options();
  o.first_byte_timeout = 150ms;
  o.read_timeout = 10s;
  HttpClient client(o);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    client.post_text(server.url(), {}, "{}", "application/json");
    FAIL() << "no timeout";
  } catch (const NetworkError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 140ms);
  EXPECT_LT(waited, 2s);
}

TEST(HttpTimeouts, FirstByteTimeoutCoversTheFirstByteOfTheBody) {
  // A stream whose head came at once but whose first event has not: still the first-byte
  // timeout (time to first token), not the stall timeout.
  ScriptedServer server([](int) { return Act::kHeadOnly; });
  HttpClientOptions o = keep_alive_options();
  o.first_byte_timeout = 400ms;
  o.read_timeout = 50ms;
  HttpClient client(o);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(
      client.post_lines(server.url(), {}, "{}", "application/json", [](std::string_view) {}),
      NetworkError);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 390ms);
  EXPECT_LT(waited, 3s);
}

TEST(HttpTimeouts, StallTimeoutBoundsTheGapInTheBody) {
  ScriptedServer server([](int) { return Act::kStallBody; });
  HttpClientOptions o = keep_alive_options();
  o.first_byte_timeout = 10s;
  o.read_timeout = 150ms;
  HttpClient client(o);
  const auto t0 = std::chrono::steady_clock::now();
  std::string lines;
  try {
    client.post_lines(server.url(), {}, "{}", "application/json",
                      [&](std::string_view l) { lines.append(l); });
    FAIL() << "no timeout";
  } catch (const NetworkError& e) {
    EXPECT_NE(std::string(e.what()).find("reading the body"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 140ms);
  EXPECT_LT(waited, 2s);
  EXPECT_FALSE(client.has_idle_connection());
}

}  // namespace
}  // namespace junction::http
