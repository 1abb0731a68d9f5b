// The listener's bounds against clients on 127.0.0.1 that misbehave on purpose: a request
// trickled a byte at a time is answered 408 at its deadline, a client that stops reading a
// stream is dropped at the send timeout, a refused request head is answered before its body
// is read, and one address cannot open more than its share of connections.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "http/api_error.h"
#include "http/http_server.h"

namespace junction::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Server {
 public:
  Server(HttpOptions options, HttpHandler handler) : server_(adjust(options), std::move(handler)) {
    thread_ = std::thread([this] { server_.run(); });
  }
  ~Server() {
    server_.stop();
    server_.close_connections();
    thread_.join();
  }
  uint16_t port() const { return server_.port(); }

 private:
  static HttpOptions adjust(HttpOptions o) {
    o.host = "127.0.0.1";
    o.port = 0;
    return o;
  }
  HttpServer server_;
  std::thread thread_;
};

int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_text(int fd, const std::string& s) {
  (void)!::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
}

// What arrives within `wait` (until the server closes, or the time is up).
std::string read_for(int fd, std::chrono::milliseconds wait) {
  std::string out;
  const auto end = Clock::now() + wait;
  char buf[4096];
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void answer_ok(const HttpRequest&, HttpResponder& res) {
  res.send(200, "application/json", "{}");
}

TEST(HttpServerLimits, ATrickledRequestIsAnswered408AtItsDeadline) {
  HttpOptions o;
  o.request_timeout_s = 1;
  Server s(o, answer_ok);
  const int fd = connect_to(s.port());
  ASSERT_GE(fd, 0);
  const auto t0 = Clock::now();
  send_text(fd, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\n");
  // One byte every 200 ms: each read arrives well within any per-read timeout.
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int i = 0; i < 40 && !stop; ++i) {
      send_text(fd, "x");
      std::this_thread::sleep_for(200ms);
    }
  });
  const std::string answer = read_for(fd, 4s);
  const double waited = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  trickle.join();
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  EXPECT_LT(waited, 3.0);
}

TEST(HttpServerLimits, AClientThatStopsReadingIsDroppedAtTheSendTimeout) {
  HttpOptions o;
  o.send_timeout_s = 1;
  std::atomic<bool> write_failed{false};
  Server s(o, [&](const HttpRequest&, HttpResponder& res) {
    res.start_stream(200, "text/event-stream");
    const std::string chunk(64 << 10, 'x');
    // Socket buffers hold a few MB; past them a write blocks until the send timeout.
    for (int i = 0; i < 100000; ++i)
      if (!res.write(chunk)) {
        write_failed = true;
        return;
      }
  });
  const int fd = connect_to(s.port());
  ASSERT_GE(fd, 0);
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  send_text(fd, "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
  // Never read.
  for (int i = 0; i < 100 && !write_failed; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(write_failed) << "the handler still writes to a client that stopped reading";
  ::close(fd);
}

TEST(HttpServerLimits, ARefusedHeadIsAnsweredBeforeItsBody) {
  HttpOptions o;
  std::atomic<int> handled{0};
  o.admit = [](const HttpRequest& head) {
    if (head.header("authorization") != "Bearer good")
      throw ApiError(401, "Invalid API key", "authentication_error", "", "invalid_api_key");
  };
  Server s(o, [&](const HttpRequest& req, HttpResponder& res) {
    ++handled;
    res.send(200, "application/json", "{\"bytes\":" + std::to_string(req.body.size()) + "}");
  });
  // A 10 MB body announced, 10 bytes sent: the refusal does not wait for the rest.
  int fd = connect_to(s.port());
  ASSERT_GE(fd, 0);
  send_text(fd,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000\r\n\r\n");
  send_text(fd, "0123456789");
  const std::string refused = read_for(fd, 1500ms);
  ::close(fd);
  EXPECT_EQ(refused.rfind("HTTP/1.1 401", 0), 0u) << refused;
  EXPECT_NE(refused.find("invalid_api_key"), std::string::npos) << refused;
  EXPECT_EQ(handled.load(), 0);
  // With the key, the body is read and handled.
  fd = connect_to(s.port());
  send_text(fd,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer good\r\n"
            "Content-Length: 3\r\nConnection: close\r\n\r\nabc");
  const std::string ok = read_for(fd, 2s);
  ::close(fd);
  EXPECT_NE(ok.find("{\"bytes\":3}"), std::string::npos) << ok;
  EXPECT_EQ(handled.load(), 1);
}

// A request that follows its predecessor at once is read on the handler's thread (the busy
// keep-alive path, not the reactor): the same deadline, admission and body limit hold there.
TEST(HttpServerLimits, ARequestFollowingAtOnceIsHeldToTheSameBounds) {
  HttpOptions o;
  o.request_timeout_s = 1;
  o.max_body_bytes = 100;
  o.admit = [](const HttpRequest& head) {
    if (head.header("authorization") != "Bearer good")
      throw ApiError(401, "Invalid API key", "authentication_error", "", "invalid_api_key");
  };
  Server s(o, answer_ok);
  const std::string first = "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer good\r\n\r\n";
  const auto answers = [&](const std::string& second) {
    const int fd = connect_to(s.port());
    send_text(fd, first + second);
    std::string out = read_for(fd, 3s);
    ::close(fd);
    return out;
  };
  // Trickled: its head, two bytes of a 10-byte body, then nothing.
  const auto t0 = Clock::now();
  std::string out = answers(
      "POST /x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer good\r\nContent-Length: "
      "10\r\n\r\n01");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_NE(out.find("HTTP/1.1 408"), std::string::npos) << out;
  EXPECT_LT(Clock::now() - t0, 2900ms);  // answered at the deadline, not at read_for's end
  out = answers("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_NE(out.find("HTTP/1.1 401"), std::string::npos) << out;
  out = answers(
      "POST /x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer good\r\nContent-Length: "
      "1000\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_NE(out.find("HTTP/1.1 413"), std::string::npos) << out;
}

// Threads in this process now.
int64_t thread_count() {
  int64_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Clients that connect and send nothing, or half a request head, cost the server no thread:
// waiting for a request is asynchronous (with a thread per connection, 64 such clients held 64
// threads, and 512 of them every slot).
TEST(HttpServerLimits, IdleAndTricklingClientsHoldNoThread) {
  Server s(HttpOptions{}, answer_ok);
  const int64_t before = thread_count();
  std::vector<int> fds;
  for (int i = 0; i < 64; ++i) {
    const int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    if (i % 2) send_text(fd, "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\n");
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);  // every connection accepted and waiting
  EXPECT_LT(thread_count() - before, 8);
  // They are still served when they go on.
  send_text(fds[0], "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(read_for(fds[0], 1500ms).rfind("HTTP/1.1 200", 0), 0u);
  for (int fd : fds) ::close(fd);
}

TEST(HttpServerLimits, OneAddressHoldsAtMostItsShareOfConnections) {
  HttpOptions o;
  o.max_connections_per_peer = 2;
  Server s(o, answer_ok);
  const int a = connect_to(s.port()), b = connect_to(s.port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  std::this_thread::sleep_for(200ms);  // both accepted and counted
  const int c = connect_to(s.port());
  const std::string refused = read_for(c, 1500ms);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("from this address"), std::string::npos) << refused;
  ::close(c);
  ::close(a);
  std::this_thread::sleep_for(200ms);  // a's slot is given back
  const int d = connect_to(s.port());
  send_text(d, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(read_for(d, 1500ms).rfind("HTTP/1.1 200", 0), 0u);
  ::close(d);
  ::close(b);
}

}  // namespace
}  // namespace junction::http
