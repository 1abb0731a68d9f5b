// A `kind: local` provider with model_path: `junction serve --config` starts the engine as a
// child process, routes to it, restarts it when it is killed, and stops it on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
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

std::string read_proc(pid_t pid, const char* file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The engine listens on a loopback port any local process can reach: it must require a key,
// which it gets through its environment (/proc/PID/environ is its owner's only), not its
// command line (/proc/PID/cmdline is anyone's). A new database's key hashes use a random
// pepper kept beside it (0600), not the public default.
TEST(LocalProvider, TheEngineRequiresAKeyNoOtherUserCanRead) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("junction-local-key-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "gateway.yaml")
      << "admin_key: admin-secret\nstore: sqlite://" << (dir / "g.db").string()
      << "\nproviders:\n  - {name: here, kind: local, model_path: " << JUNCTION_TEST_DATA
      << "/models/qwen3-e2e-bf16, serve_args: [--threads, '1', --ctx-size, '256']}\n"
      << "models:\n  - {name: tiny, deployments: [{provider: here}]}\n";
  testing::ServeProcess gateway(
      JUNCTION_BINARY,
      {"serve", "--config", (dir / "gateway.yaml").string(), "--host", "127.0.0.1", "--port", "0"},
      dir / "gateway.log");
  ASSERT_GT(gateway.port(), 0) << gateway.log();
  const auto kids = children_of(gateway.pid());
  ASSERT_EQ(kids.size(), 1u);
  const std::string cmdline = read_proc(kids[0], "cmdline");
  const std::string environ_text = read_proc(kids[0], "environ");
  const size_t at = environ_text.find("JUNCTION_API_KEY=");
  ASSERT_NE(at, std::string::npos) << "the engine runs without an API key";
  const std::string engine_key =
      environ_text.substr(at + 17, environ_text.find('\0', at) - at - 17);
  EXPECT_GE(engine_key.size(), 32u);
  EXPECT_EQ(cmdline.find(engine_key), std::string::npos);
  EXPECT_EQ(cmdline.find("--api-key"), std::string::npos);
  // The engine's address, from its "listening on" line that the gateway forwards, prefixed.
  const std::string log = gateway.log();
  const std::string marker = "listening on http://127.0.0.1:";
  size_t line_at = log.find(marker);
  while (line_at != std::string::npos &&
         log.rfind("junction gateway: ", line_at) == log.rfind('\n', line_at) + 1)
    line_at = log.find(marker, line_at + 1);
  ASSERT_NE(line_at, std::string::npos) << log;
  const std::string engine_url =
      "http://127.0.0.1:" + std::to_string(std::stoi(log.substr(line_at + marker.size()))) +
      "/v1/models";

  http::HttpClientOptions o;
  o.connect_timeout = o.read_timeout = 30s;
  http::HttpClient client(o);
  EXPECT_EQ(client.get_text(engine_url, {}).first.status, 401);
  EXPECT_EQ(client.get_text(engine_url, {{"Authorization", "Bearer " + engine_key}}).first.status,
            200);
  // Through the gateway the engine answers as before.
  auto post = [&](const std::string& path, const Json& body, const std::string& key) {
    return client.post_text(gateway.url() + path, {{"Authorization", "Bearer " + key}}, body.dump(),
                            "application/json");
  };
  const auto [key_head, key_text] =
      post("/admin/keys", {{"name", "t"}, {"credits", 1.0}}, "admin-secret");
  ASSERT_EQ(key_head.status, 201) << key_head.error_body;
  const std::string key = Json::parse(key_text)["key"];
  const Json chat = {{"model", "tiny"},
                     {"messages", {{{"role", "user"}, {"content", "Hello"}}}},
                     {"max_tokens", 2}};
  EXPECT_EQ(post("/v1/chat/completions", chat, key).first.status, 200) << gateway.log();

  struct stat st {};
  ASSERT_EQ(stat((dir / "g.db.pepper").c_str(), &st), 0) << "no pepper file beside the database";
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream pepper_file(dir / "g.db.pepper");
  std::string pepper;
  std::getline(pepper_file, pepper);
  EXPECT_EQ(pepper.size(), 64u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace junction
