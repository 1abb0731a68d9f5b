// The gateway under a minute of mixed traffic (issue 16's soak): 64 clients through a
// `junction serve --config` process in front of two `junction serve` engines, each client
// sending good requests (whole and streamed) mixed with hostile and malformed ones: JSON nested
// 100,000 deep, invalid JSON, wrong keys, n = 1000, negative max_tokens, a duplicated key, a
// 20 MB body announced and abandoned, headers trickled then dropped, streams dropped after their
// first event. One engine is killed a third of the way in and started again on its port at two
// thirds. After it: the gateway and the engines still answer, no request got a 500, every
// answer received whole has its usage record, and the ledger adds up with nothing left open.
// JUNCTION_SOAK_SECONDS overrides the minute.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/sqlite_store.h"
#include "http/http_client.h"
#include "tests/support/loopback.h"
#include "tests/support/serve_process.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;
using testing::ServeProcess;

std::vector<std::string> engine_args(int port) {
  return {"serve",
          "--model",
          std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16",
          "--host",
          "127.0.0.1",
          "--port",
          std::to_string(port),
          "--threads",
          "1",
          "--ctx-size",
          "256",
          "--parallel",
          "4",
          "--served-model-name",
          "tiny"};
}

int raw_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

http::HttpClientOptions client_options() {
  http::HttpClientOptions o;
  o.connect_timeout = 5s;
  o.read_timeout = 30s;
  return o;
}

http::HttpClient client() {
  return http::HttpClient(client_options());
}

TEST(GatewaySoak, SixtyFourClientsMixingHostileRequestsWhileAnEngineRestarts) {
  const char* env_seconds = std::getenv("JUNCTION_SOAK_SECONDS");
  const double seconds = env_seconds ? std::atof(env_seconds) : 60.0;
  const fs::path dir = fs::temp_directory_path() / ("junction-soak-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const int port_a = test::free_port(), port_b = test::free_port();
  auto engine_a =
      std::make_unique<ServeProcess>(JUNCTION_BINARY, engine_args(port_a), dir / "engine-a.log");
  auto engine_b =
      std::make_unique<ServeProcess>(JUNCTION_BINARY, engine_args(port_b), dir / "engine-b.log");
  ASSERT_NE(engine_a->port(), 0) << engine_a->log();
  ASSERT_NE(engine_b->port(), 0) << engine_b->log();
  const std::string db = (dir / "gateway.db").string();
  std::ofstream(dir / "gateway.yaml")
      << "listen: 127.0.0.1:0\nadmin_key: admin-secret\nstore: sqlite://" << db
      << "\nledger: {instance: soak}\n"
      << "routing: {strategy: least_outstanding, max_attempts: 2}\nproviders:\n"
      << "  - {name: a, kind: local, base_url: \"http://127.0.0.1:" << port_a
      << "/v1\", connect_timeout_ms: 500}\n"
      << "  - {name: b, kind: local, base_url: \"http://127.0.0.1:" << port_b
      << "/v1\", connect_timeout_ms: 500}\n"
      << "models:\n  - name: tiny-chat\n    context_length: 256\n"
      << "    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}\n"
      << "    deployments: [{provider: a, model: tiny}, {provider: b, model: tiny}]\n";
  ServeProcess gateway(JUNCTION_BINARY, {"serve", "--config", (dir / "gateway.yaml").string()},
                       dir / "gateway.log");
  ASSERT_NE(gateway.port(), 0) << gateway.log();
  const std::string base = gateway.url();

  http::HttpClient admin = client();
  const auto [key_head, key_text] =
      admin.post_text(base + "/admin/keys", {{"Authorization", "Bearer admin-secret"}},
                      Json{{"name", "soak"}, {"credits", 100.0}}.dump(), "application/json");
  ASSERT_EQ(key_head.status, 201) << key_head.error_body;
  const std::string key = Json::parse(key_text)["key"];
  const http::HttpHeaders auth = {{"Authorization", "Bearer " + key}};

  const auto chat = [](int max_tokens) {
    return Json{{"model", "tiny-chat"},
                {"max_tokens", max_tokens},
                {"messages", {{{"role", "user"}, {"content", "Say hello"}}}}};
  };
  std::string deep = R"({"model":"tiny-chat","messages":[{"role":"user","content":"x","extra":)";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}]}";

  std::mutex mutex;
  std::vector<std::string> completed;  // ids of answers received whole
  std::map<int, int> statuses;
  std::string first_5xx;
  std::atomic<bool> stop{false};
  const auto count = [&](int status) {
    std::lock_guard lock(mutex);
    ++statuses[status];
  };
  // Counts a whole answer's status, keeping the first unexpected 5xx's body.
  const auto note = [&](const std::pair<http::HttpResponseHead, std::string>& r) {
    count(r.first.status);
    std::lock_guard lock(mutex);
    if (r.first.status >= 500 && r.first.status != 502 && first_5xx.empty())
      first_5xx = std::to_string(r.first.status) + " " + r.second + r.first.error_body;
  };
  const auto done = [&](const std::string& id) {
    std::lock_guard lock(mutex);
    completed.push_back(id);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t)
    threads.emplace_back([&, t] {
      auto fresh = [] { return std::make_unique<http::HttpClient>(client_options()); };
      auto cp = fresh();
      for (int i = t; !stop; i += 64) {
        http::HttpClient& c = *cp;
        try {
          switch (i % 16) {
            case 7: {
              note(c.post_text(base + "/v1/chat/completions", auth, deep, "application/json"));
              break;
            }
            case 8:
              note(c.post_text(base + "/v1/chat/completions", auth, "{\"model\": [",
                               "application/json"));
              break;
            case 9:
              note(c.post_text(base + "/v1/chat/completions",
                               {{"Authorization", "Bearer sk-wrong"}}, chat(4).dump(),
                               "application/json"));
              break;
            case 10: {
              Json b = chat(4);
              b["n"] = 1000;
              note(c.post_text(base + "/v1/chat/completions", auth, b.dump(), "application/json"));
              break;
            }
            case 11:
              note(c.post_text(base + "/v1/chat/completions", auth, chat(-5).dump(),
                               "application/json"));
              break;
            case 12: {
              const std::string body = chat(4).dump();
              const std::string twice = body.substr(0, body.size() - 1) + R"(,"model":"other"})";
              note(c.post_text(base + "/v1/chat/completions", auth, twice, "application/json"));
              break;
            }
            case 13: {  // a 20 MB body announced, a little sent, then gone
              const int fd = raw_connect(gateway.port());
              const std::string head =
                  "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                  "Authorization: Bearer " +
                  key + "\r\nContent-Length: 20000000\r\n\r\n{\"model\":";
              (void)!::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
              ::close(fd);
              break;
            }
            case 14: {  // headers trickled, then dropped
              const int fd = raw_connect(gateway.port());
              (void)!::send(fd, "POST /v1/chat", 13, MSG_NOSIGNAL);
              std::this_thread::sleep_for(300ms);
              (void)!::send(fd, "/completions HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
              ::close(fd);
              break;
            }
            case 15: {  // a stream dropped after its first event
              Json b = chat(16);
              b["stream"] = true;
              struct Drop {};
              try {
                c.post_lines(base + "/v1/chat/completions", auth, b.dump(), "application/json",
                             [&](std::string_view line) {
                               if (line.rfind("data:", 0) == 0) throw Drop{};
                             });
              } catch (const Drop&) {
              }
              cp = fresh();  // the dropped connection goes with the old client
              break;
            }
            case 6: {  // streamed, whole: its id once [DONE] came
              Json b = chat(4);
              b["stream"] = true;
              std::string id;
              bool finished = false;
              const auto head =
                  c.post_lines(base + "/v1/chat/completions", auth, b.dump(), "application/json",
                               [&](std::string_view line) {
                                 if (line == "data: [DONE]")
                                   finished = true;
                                 else if (line.rfind("data: ", 0) == 0 && id.empty()) {
                                   const Json j = Json::parse(line.substr(6), nullptr, false);
                                   if (j.is_object() && j.contains("id") && j["id"].is_string())
                                     id = j["id"];
                                 }
                               });
              note({head, ""});
              if (head.status == 200 && finished && !id.empty()) done(id);
              break;
            }
            default: {  // whole
              const auto [head, text] = c.post_text(base + "/v1/chat/completions", auth,
                                                    chat(4).dump(), "application/json");
              count(head.status);
              const Json j = Json::parse(text, nullptr, false);
              if (head.status == 200 && j.is_object() && j["choices"][0]["message"].is_object())
                done(j["id"]);
            }
          }
        } catch (const std::exception&) {
          // A transport error: the gateway closed on us (expected for some hostile ones).
          count(-1);
          cp = fresh();
        }
      }
    });
  const auto t0 = std::chrono::steady_clock::now();
  const auto at = [&](double fraction) {
    std::this_thread::sleep_until(t0 + std::chrono::duration<double>(seconds * fraction));
  };
  at(1.0 / 3);
  engine_a.reset();  // SIGTERM, then reaped
  at(2.0 / 3);
  engine_a =
      std::make_unique<ServeProcess>(JUNCTION_BINARY, engine_args(port_a), dir / "engine-a2.log");
  EXPECT_EQ(engine_a->port(), port_a) << engine_a->log();
  at(1.0);
  stop = true;
  for (auto& th : threads) th.join();

  std::string summary;
  for (const auto& [status, n] : statuses)
    summary += " " + std::to_string(status) + ":" + std::to_string(n);
  std::fprintf(stderr,
               "soak: %.0f s, %zu answers whole; statuses (-1: transport error):%s; first 5xx: "
               "%s\n",
               seconds, completed.size(), summary.c_str(), first_5xx.c_str());
  EXPECT_EQ(statuses[500], 0) << summary;
  EXPECT_GT(static_cast<double>(completed.size()), 2 * seconds) << summary;
  // Everyone still answers.
  for (const std::string& url : {base, engine_a->url(), engine_b->url()})
    EXPECT_EQ(admin.get_text(url + "/health", {}).first.status, 200) << url;
  // Every whole answer is recorded; the ledger adds up with nothing open.
  SqliteStore store(db);
  int missing = 0;
  for (const std::string& id : completed) missing += !store.usage_by_request(id);
  EXPECT_EQ(missing, 0);
  // Streams whose clients left are settled when the gateway next writes to them: give those
  // still in flight a moment.
  std::vector<KeyAudit> audit;
  for (int i = 0; i < 100; ++i) {
    audit = store.audit();
    int64_t open = 0;
    for (const KeyAudit& a : audit) open += a.open_reservations;
    if (open == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(audit.empty());
  for (const KeyAudit& a : audit) {
    EXPECT_EQ(a.drift, std::optional<NanoUsd>(0)) << a.key_id;
    EXPECT_EQ(a.open_reservations, 0) << a.key_id;
  }
  engine_a.reset();
  engine_b.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction::gateway
