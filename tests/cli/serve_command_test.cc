// `junction serve` through the real binary: the start-up summary it writes to stderr (scripts
// and tests read the port from its last line), and SIGTERM / SIGINT draining to exit status 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/http_client.h"
#include "tests/support/child_process.h"
#include "tests/support/serve_process.h"

namespace junction {
namespace {

const std::string kModel = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts `junction serve args...`, waits for it to listen, sends `sig`, and returns its stderr
// with the load time and the port masked; *status: its exit status.
std::string serve_then_signal(std::vector<std::string> args, int sig, int* status) {
  const auto log = std::filesystem::temp_directory_path() /
                   ("junction_serve_test_" + std::to_string(getpid()) + ".log");
  args.insert(args.begin(), {JUNCTION_BINARY, "serve"});
  test::ChildProcess serve(args, log.string());
  for (int i = 0; i < 600 && read_file(log).find("listening on") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  serve.signal(sig);
  *status = serve.wait();
  std::string text = read_file(log);
  std::filesystem::remove(log);
  text = std::regex_replace(text, std::regex("loaded in [0-9]+ ms"), "loaded in N ms");
  return std::regex_replace(text, std::regex("127\\.0\\.0\\.1:[0-9]+"), "127.0.0.1:PORT");
}

// Status of GET `path` on `base_url`, with `key` as a bearer token when not empty.
int get_status(const std::string& base_url, const std::string& path, const std::string& key) {
  http::HttpClientOptions o;
  o.connect_timeout = o.read_timeout = std::chrono::seconds(30);
  http::HttpClient client(o);
  http::HttpHeaders headers;
  if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
  return client.get_text(base_url + path, headers).first.status;
}

// A key from --api-key-file or $JUNCTION_API_KEY (never on the command line, which every local
// user can read in /proc/PID/cmdline) guards every route but /health, /metrics included: the
// metrics name the model and show its traffic.
TEST(ServeCommand, TheApiKeyComesFromAFileOrTheEnvironmentAndGuardsMetrics) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("junction_serve_key_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "key") << "file-key-123\n";
  {
    testing::ServeProcess serve(
        JUNCTION_BINARY,
        {"serve", "--model", kModel, "--host", "127.0.0.1", "--port", "0", "--threads", "1",
         "--ctx-size", "256", "--api-key-file", (dir / "key").string()},
        dir / "file.log");
    ASSERT_GT(serve.port(), 0) << serve.log();
    EXPECT_EQ(get_status(serve.url(), "/metrics", ""), 401);
    EXPECT_EQ(get_status(serve.url(), "/metrics", "wrong"), 401);
    EXPECT_EQ(get_status(serve.url(), "/metrics", "file-key-123"), 200);
    EXPECT_EQ(get_status(serve.url(), "/v1/models", "file-key-123"), 200);
    EXPECT_EQ(get_status(serve.url(), "/health", ""), 200);
    EXPECT_EQ(read_file("/proc/" + std::to_string(serve.pid()) + "/cmdline").find("file-key-123"),
              std::string::npos);
  }
  ::setenv("JUNCTION_API_KEY", "env-key-456", 1);  // inherited by the child started next
  {
    testing::ServeProcess serve(JUNCTION_BINARY,
                                {"serve", "--model", kModel, "--host", "127.0.0.1", "--port", "0",
                                 "--threads", "1", "--ctx-size", "256"},
                                dir / "env.log");
    ::unsetenv("JUNCTION_API_KEY");
    ASSERT_GT(serve.port(), 0) << serve.log();
    EXPECT_EQ(get_status(serve.url(), "/v1/models", ""), 401);
    EXPECT_EQ(get_status(serve.url(), "/metrics", ""), 401);
    EXPECT_EQ(get_status(serve.url(), "/metrics", "env-key-456"), 200);
  }
  // Without a key, /metrics stays open as before (a local server, `make run`).
  {
    testing::ServeProcess serve(JUNCTION_BINARY,
                                {"serve", "--model", kModel, "--host", "127.0.0.1", "--port", "0",
                                 "--threads", "1", "--ctx-size", "256"},
                                dir / "open.log");
    ASSERT_GT(serve.port(), 0) << serve.log();
    EXPECT_EQ(get_status(serve.url(), "/metrics", ""), 200);
  }
  std::filesystem::remove_all(dir);
}

TEST(ServeCommand, SummarisesItsSettingsAndDrainsOnSigterm) {
  int status = -1;
  const std::string log = serve_then_signal({"--model",
                                             kModel,
                                             "--host",
                                             "127.0.0.1",
                                             "--port",
                                             "0",
                                             "--threads",
                                             "1",
                                             "--isa",
                                             "scalar",
                                             "--ctx-size",
                                             "300",
                                             "--parallel",
                                             "2",
                                             "--max-queue",
                                             "3",
                                             "--api-key",
                                             "k",
                                             "--served-model-name",
                                             "pinned"},
                                            SIGTERM, &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(log, "junction serve: " + kModel +
                     " (qwen3, 2 layers, scalar kernels, 1 threads) loaded in N ms\n"
                     "junction serve: context 300 tokens (--ctx-size)\n"
                     "junction serve: model 'pinned', context 300 tokens, 2 parallel, queue 3, "
                     "KV cache k f16 v f16, API key required\n"
                     "junction serve: listening on http://127.0.0.1:PORT\n"
                     "junction serve: SIGTERM: draining\n"
                     "junction serve: stopped\n");
}

// Without flags: the model's whole context (4096 here; it fits any machine's memory), an f16
// KV cache, 4 parallel, a queue of 64, no key, and the model folder's name even when the path
// ends in a slash.
TEST(ServeCommand, DefaultsAndTheFolderNameAndSigint) {
  int status = -1;
  const std::string log = serve_then_signal(
      {"--model", kModel + "/", "--port", "0", "--threads", "1", "--isa", "scalar"}, SIGINT,
      &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(log.find("junction serve: context 4096 tokens (the model's maximum 4096; KV pool "
                     "16384 tokens for 4 sequences fits: "),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("junction serve: model 'qwen3-e2e-bf16', context 4096 tokens, 4 parallel, "
                     "queue 64, KV cache k f16 v f16\n"
                     "junction serve: listening on http://127.0.0.1:PORT\n"
                     "junction serve: SIGINT: draining\n"
                     "junction serve: stopped\n"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace junction
