// One upstream attempt against a scripted upstream on loopback (a raw socket answering each
// request with recorded bytes, or hanging, or cutting the stream): the outcome it comes to,
// what it wrote to the client, and that it never throws for what the upstream does. Expected
// kinds are the contracts of gateway/README.md (see attempt_outcome.h).
#include "gateway/upstream_attempt.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "gateway/config.h"
#include "tests/support/loopback.h"

namespace junction::gateway {
namespace {

using Kind = AttemptOutcome::Kind;

std::string read_data(const std::string& name) {
  std::ifstream f(std::string(GATEWAY_TEST_DATA) + "/" + name, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Accepts one connection, reads one request (head and Content-Length body), writes `answer`,
// then holds the connection `hold_ms` before closing it.
class ScriptedUpstream {
 public:
  ScriptedUpstream(std::string answer, int hold_ms = 0)
      : answer_(std::move(answer)), hold_ms_(hold_ms) {
    fd_ = test::listen_on_loopback(&port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedUpstream() {
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  void serve() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return;
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string got;
    char buf[4096];
    size_t need = std::string::npos;
    while (need == std::string::npos || got.size() < need) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
      const size_t end = got.find("\r\n\r\n");
      if (need == std::string::npos && end != std::string::npos) {
        size_t length = 0;
        const size_t cl = got.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(got.substr(cl + 16));
        need = end + 4 + length;
      }
    }
    ::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
    if (hold_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms_));
    ::close(c);
  }

  std::string answer_;
  int hold_ms_;
  int fd_ = -1, port_ = 0;
  std::thread thread_;
};

std::string http_answer(int status, const std::string& content_type, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

// An event stream delimited by the connection's end.
std::string sse_answer(const std::string& events) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + events;
}

class RecordingResponder : public http::HttpResponder {
 public:
  void send(int status, std::string_view, std::string body,
            const std::vector<std::pair<std::string, std::string>>&) override {
    sent_status = status;
    sent_body = std::move(body);
  }
  bool start_stream(int status, std::string_view,
                    const std::vector<std::pair<std::string, std::string>>& h) override {
    stream_status = status;
    headers = h;
    return client_here;
  }
  bool write(std::string_view data) override {
    written += data;
    return client_here;
  }
  void end() override { ended = true; }
  bool peer_closed() override { return !client_here; }

  bool client_here = true;
  int sent_status = 0, stream_status = 0;
  std::string sent_body, written;
  std::vector<std::pair<std::string, std::string>> headers;
  bool ended = false;
};

struct Harness {
  explicit Harness(int port, bool stream) {
    const std::string yaml =
        "providers:\n  - {name: up, kind: openai, base_url: \"http://127.0.0.1:" +
        std::to_string(port) +
        "/v1\", max_idle_connections: 0, connect_timeout_ms: 1000, first_byte_timeout_ms: 300, "
        "stall_timeout_ms: 300}\nmodels:\n  - {name: m, price: {input_per_mtok: 2, "
        "output_per_mtok: 8}, deployments: [{provider: up, model: up-m}]}\n";
    state = std::make_unique<GatewayState>(
        parse_gateway_config(yaml, "t.yaml",
                             [](const std::string&) { return std::optional<std::string>(); }),
        nullptr, GatewayClock::system());
    shape.stream = stream;
    shape.prompt_chars = 40;
    size.max_tokens = 100;
    size.prompt_tokens = 1000;
    size.completion_tokens = 100;
    size.total_tokens = 1100;
    size.cost = 1'000'000'000;
    request = {"gen-000000000001000000000001",
               1700000000,
               state->clock().monotonic_ms(),
               true,
               "",
               &shape,
               &size};
  }

  AttemptOutcome run() {
    Deployment& d = state->deployments().at(0);
    EXPECT_TRUE(d.health->begin(state->clock().monotonic_ms()));
    return run_upstream_attempt(*state, client, request, d, R"({"model":"up-m","messages":[]})");
  }

  std::unique_ptr<GatewayState> state;
  RequestShape shape;
  ReservationSize size;
  AttemptRequest request;
  RecordingResponder client;
};

TEST(UpstreamAttempt, AWholeAnswerIsRewrittenAndNothingIsWrittenYet) {
  ScriptedUpstream up(http_answer(200, "application/json", read_data("openai_chat.json")));
  Harness h(up.port(), false);
  const AttemptOutcome o = h.run();
  EXPECT_EQ(o.kind, Kind::kAnswered);
  EXPECT_EQ(o.usage.prompt_tokens, 12);
  EXPECT_EQ(o.usage.completion_tokens, 5);
  EXPECT_EQ(o.provider, "up");
  EXPECT_NE(o.body.find("\"id\":\"gen-000000000001000000000001\""), std::string::npos);
  EXPECT_EQ(h.client.sent_status, 0);  // the loop sends it, after the settle
}

TEST(UpstreamAttempt, A503IsRetryableAndA400IsTheClients) {
  {
    ScriptedUpstream up(http_answer(503, "text/plain", "busy"));
    Harness h(up.port(), false);
    const AttemptOutcome o = h.run();
    EXPECT_EQ(o.kind, Kind::kFailed);
    EXPECT_EQ(o.detail, "HTTP 503");
    EXPECT_FALSE(o.timed_out);
  }
  {
    const std::string error = R"({"error":{"message":"bad","type":"invalid_request_error"}})";
    ScriptedUpstream up(http_answer(400, "application/json", error));
    Harness h(up.port(), false);
    const AttemptOutcome o = h.run();
    EXPECT_EQ(o.kind, Kind::kRejected);
    EXPECT_EQ(o.status, 400);
    EXPECT_EQ(o.body, error);
  }
}

TEST(UpstreamAttempt, AnAnswerThatIsNotJsonIsRetryable) {
  ScriptedUpstream up(http_answer(200, "application/json", "<html>"));
  Harness h(up.port(), false);
  const AttemptOutcome o = h.run();
  EXPECT_EQ(o.kind, Kind::kFailed);
  EXPECT_EQ(o.detail, "upstream answered with invalid JSON");
}

TEST(UpstreamAttempt, NoListenerIsRetryable) {
  int port = 0;
  const int fd = test::listen_on_loopback(&port);
  ::close(fd);  // nothing listens there now
  Harness h(port, false);
  const AttemptOutcome o = h.run();
  EXPECT_EQ(o.kind, Kind::kFailed);
}

TEST(UpstreamAttempt, ARequestSentAndNotAnsweredInTimeIsNotRetryable) {
  ScriptedUpstream up("", /*hold_ms=*/1500);
  Harness h(up.port(), false);
  const AttemptOutcome o = h.run();
  EXPECT_EQ(o.kind, Kind::kSentThenTimedOut) << o.detail;
}

TEST(UpstreamAttempt, AWholeStreamIsRelayedUpToItsEnd) {
  ScriptedUpstream up(sse_answer(read_data("openai_chat_stream.sse")));
  Harness h(up.port(), true);
  const AttemptOutcome o = h.run();
  EXPECT_EQ(o.kind, Kind::kAnswered) << o.detail;
  EXPECT_TRUE(o.streamed);
  EXPECT_EQ(o.usage.prompt_tokens, 12);
  EXPECT_EQ(o.usage.completion_tokens, 5);
  EXPECT_EQ(h.client.stream_status, 200);
  EXPECT_NE(h.client.written.find("\"content\":\"Hello\""), std::string::npos);
  EXPECT_EQ(h.client.written.find("[DONE]"), std::string::npos);  // the loop's, after the settle
  EXPECT_FALSE(h.client.ended);
}

TEST(UpstreamAttempt, AStreamCutAfterItStartedIsAStreamCut) {
  const std::string events =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n";
  ScriptedUpstream up(sse_answer(events));
  Harness h(up.port(), true);
  const AttemptOutcome o = h.run();
  EXPECT_EQ(o.kind, Kind::kStreamCut);
  EXPECT_EQ(o.detail, "upstream stream ended without [DONE]");
  EXPECT_TRUE(o.streamed);
  // No usage reported: prompt bytes / 4 and one token per content event.
  EXPECT_EQ(o.usage.prompt_tokens, 10);
  EXPECT_EQ(o.usage.completion_tokens, 2);
  EXPECT_FALSE(h.client.ended);  // the error event is the loop's, after the settle
}

TEST(UpstreamAttempt, AnErrorEventBeforeTheFirstChunkIsRetryable) {
  ScriptedUpstream up(sse_answer("data: {\"error\":{\"message\":\"Overloaded\"}}\n\n"));
  Harness h(up.port(), true);
  const AttemptOutcome o = h.run();
  EXPECT_EQ(o.kind, Kind::kFailed);
  EXPECT_EQ(o.detail, "upstream error event: Overloaded");
  EXPECT_EQ(h.client.stream_status, 0);  // nothing reached the client
}

TEST(UpstreamAttempt, NonObjectEventsBreakTheStreamInsteadOfThrowing) {
  ScriptedUpstream up(sse_answer("data: null\n\ndata: [DONE]\n\n"));
  Harness h(up.port(), true);
  const AttemptOutcome o = h.run();
  EXPECT_EQ(o.kind, Kind::kFailed);
  EXPECT_EQ(o.detail, "upstream sent an event that is not a JSON object");
}

TEST(UpstreamAttempt, AClientThatLeftIsClientGone) {
  ScriptedUpstream up(sse_answer(read_data("openai_chat_stream.sse")));
  Harness h(up.port(), true);
  h.client.client_here = false;
  const AttemptOutcome o = h.run();
  EXPECT_EQ(o.kind, Kind::kClientGone);
  EXPECT_EQ(o.provider, "up");
}

}  // namespace
}  // namespace junction::gateway
