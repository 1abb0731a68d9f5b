// A `kind: local` provider with model_path: `junction serve --config` starts the engine as a
// child process, routes to it, restarts it when it is killed, and stops it on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "http/http_client.h"
#include "tests/support/serve_process.h"

namespace junction {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// The children of `pid` (/proc/PID/task/*/children).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(t.path() / "children");
    for (pid_t c; in >> c;) out.push_back(c);
  }
  return out;
}

bool alive(pid_t pid) {
  return kill(pid, 0) == 0;
}

TEST(LocalProvider, GatewayStartsSupervisesAndStopsItsEngine) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("junction-local-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string model = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";
  {
    std::ofstream cfg(dir / "gateway.yaml");
    cfg << "admin_key: admin-secret\n"
        << "store: sqlite://" << (dir / "g.db").string() << "\n"
        << "providers:\n"
        << "  - name: here\n"
        << "    kind: local\n"
        << "    model_path: " << model << "\n"
        << "    serve_args: [--threads, '1', --ctx-size, '256', --parallel, '2']\n"
        << "models:\n"
        << "  - name: tiny\n"
        << "    price: {input_per_mtok: 1, output_per_mtok: 2}\n"
        << "    deployments:\n"
        << "      - {provider: here}\n";
  }
  pid_t engine = -1;
  {
    testing::ServeProcess gateway(JUNCTION_BINARY,
                                  {"serve", "--config", (dir / "gateway.yaml").string(), "--host",
                                   "127.0.0.1", "--port", "0"},
                                  dir / "gateway.log");
    ASSERT_GT(gateway.port(), 0) << gateway.log();
    const auto kids = children_of(gateway.pid());
    ASSERT_EQ(kids.size(), 1u) << "one engine child";
    engine = kids[0];

    http::HttpClientOptions o;
    o.connect_timeout = o.read_timeout = 30s;
    http::HttpClient client(o);
    auto post = [&](const std::string& path, const Json& body, const std::string& key) {
      return client.post_text(gateway.url() + path, {{"Authorization", "Bearer " + key}},
                              body.dump(), "application/json");
    };
    const auto [key_head, key_text] =
        post("/admin/keys", {{"name", "t"}, {"credits", 1.0}}, "admin-secret");
    ASSERT_EQ(key_head.status, 201) << key_head.error_body;
    const std::string key = Json::parse(key_text)["key"];
    const Json chat = {{"model", "tiny"},
                       {"messages", {{{"role", "user"}, {"content", "Hello"}}}},
                       {"max_tokens", 4},
                       {"ignore_eos", true}};
    auto [head, text] = post("/v1/chat/completions", chat, key);
    ASSERT_EQ(head.status, 200) << head.error_body;
    EXPECT_EQ(head.header("x-junction-provider"), "here");
    EXPECT_EQ(Json::parse(text)["usage"]["completion_tokens"], 4);

    // The engine dies (as under the OOM killer): the supervisor brings it back on its port.
    kill(engine, SIGKILL);
    int ok_after = 0;
    for (int i = 0; i < 120 && ok_after == 0; ++i) {
      std::this_thread::sleep_for(500ms);
      auto [h, t] = post("/v1/chat/completions", chat, key);
      if (h.status == 200) ok_after = 1;
    }
    EXPECT_EQ(ok_after, 1) << gateway.log();
    EXPECT_NE(gateway.log().find("restarting"), std::string::npos);
    const auto now = children_of(gateway.pid());
    ASSERT_EQ(now.size(), 1u);
    engine = now[0];
    EXPECT_TRUE(alive(engine));
  }  // SIGTERM to the gateway: it stops its engine too
  for (int i = 0; i < 100 && alive(engine); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(alive(engine)) << "the engine outlived its gateway";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace junction
