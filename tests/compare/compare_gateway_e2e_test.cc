// `junction compare` of two endpoints serving the same model: `junction serve` on the qwen3-e2e
// fixture directly, and the same server behind the gateway (`junction serve --config` with that
// server as its only provider). Each gets `junction eval` (loglikelihood tasks, HumanEval,
// MT-Bench, --limit 1) and `junction bench`; the Markdown and HTML reports hold both rows, and
// since the model is the same, the gateway's quality numbers equal the direct ones: a proxy that
// dropped echo or logprobs, or altered a prompt, would show here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "http/http_client.h"
#include "tests/support/serve_process.h"

namespace junction::compare {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::read_file;
using testing::run_command;

const std::string kTestData = JUNCTION_TEST_DATA;
const std::string kModel = kTestData + "/models/qwen3-e2e-bf16";

// A client key with credits from the gateway's admin API.
std::string new_client_key(const std::string& gateway_url, const std::string& admin_key) {
  http::HttpClientOptions o;
  o.allow_plain_http = true;
  http::HttpClient client(o);
  auto [head, body] =
      client.post_text(gateway_url + "/admin/keys", {{"Authorization", "Bearer " + admin_key}},
                       R"({"name":"compare-test","credits":100})", "application/json");
  EXPECT_EQ(head.status, 201) << head.error_body;
  return Json::parse(body).value("key", "");
}

TEST(CompareEndToEnd, ServerDirectlyAndThroughTheGateway) {
  const fs::path dir =
      fs::temp_directory_path() / ("junction_compare_gw_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  testing::ServeProcess engine(JUNCTION_BINARY, testing::engine_serve_args(kModel),
                               dir / "serve.log");
  ASSERT_GT(engine.port(), 0) << "junction serve did not start:\n" << engine.log();
  std::ofstream(dir / "gateway.yaml") << "listen: 127.0.0.1:0\n"
                                         "admin_key: compare-admin\n"
                                         "store: sqlite://"
                                      << (dir / "gateway.db").string()
                                      << "\nproviders:\n"
                                         "  - {name: engine, kind: local, base_url: \""
                                      << engine.url()
                                      << "/v1\"}\n"
                                         "models:\n"
                                         "  - name: qwen3-e2e-bf16\n"
                                         "    context_length: 4096\n"
                                         "    deployments: [{provider: engine, model: "
                                         "qwen3-e2e-bf16}]\n";
  testing::ServeProcess gateway(
      JUNCTION_BINARY, {"serve", "--config", (dir / "gateway.yaml").string()}, dir / "gateway.log");
  ASSERT_GT(gateway.port(), 0) << "the gateway did not start:\n" << gateway.log();
  const std::string key = new_client_key(gateway.url(), "compare-admin");
  ASSERT_FALSE(key.empty());

  struct Endpoint {
    std::string name, url, extra;
  };
  // The gateway has no /tokenize: eval tokenizes with the model's tokenizer.json there.
  const std::vector<Endpoint> endpoints = {
      {"direct", engine.url() + "/v1", " --pid " + std::to_string(engine.pid())},
      {"gateway", gateway.url() + "/v1", " --api-key " + key}};
  std::string files;
  for (const Endpoint& e : endpoints) {
    SCOPED_TRACE(e.name);
    const fs::path eval_json = dir / ("eval-" + e.name + ".json");
    const fs::path bench_json = dir / ("bench-" + e.name + ".json");
    const std::string eval_extra =
        e.name == "gateway" ? " --api-key " + key + " --model-path " + kModel : "";
    const std::string eval =
        std::string(JUNCTION_BINARY) + " eval --endpoint " + e.url +
        " --model qwen3-e2e-bf16 --task mmlu,hellaswag,arc_challenge,truthfulqa_mc2,humaneval,"
        "mt_bench --data " +
        kTestData + "/eval/datasets --limit 1 --max-gen-tokens 16 --out " + eval_json.string() +
        eval_extra + " > " + (dir / ("eval-" + e.name + ".out")).string() + " 2>&1";
    ASSERT_EQ(run_command(eval), 0)
        << read_file(dir / ("eval-" + e.name + ".out")) << read_file(dir / "gateway.log");
    const std::string bench = std::string(JUNCTION_BINARY) + " bench --endpoint " + e.url +
                              " --model qwen3-e2e-bf16 --concurrency 1,2 --num-prompts 4"
                              " --warmup 1 --input-len 24 --output-len 8 --out " +
                              bench_json.string() + e.extra + " > " +
                              (dir / ("bench-" + e.name + ".out")).string() + " 2>&1";
    ASSERT_EQ(run_command(bench), 0) << read_file(dir / ("bench-" + e.name + ".out"));
    const Json b = Json::parse(read_file(bench_json));
    for (const Json& level : b["levels"]) {
      EXPECT_EQ(level["completed"], 4);
      EXPECT_EQ(level["failed"], 0);
    }
    files += " " + eval_json.string() + " " + bench_json.string();
  }

  // Same model, same prompts: the loglikelihoods through the gateway are the direct ones.
  const Json direct = Json::parse(read_file(dir / "eval-direct.json"));
  const Json via = Json::parse(read_file(dir / "eval-gateway.json"));
  for (const char* task : {"mmlu", "hellaswag", "arc_challenge", "truthfulqa_mc2"}) {
    SCOPED_TRACE(task);
    for (const auto& [metric, m] : direct["tasks"][task]["metrics"].items())
      EXPECT_NEAR(m["value"].get<double>(),
                  via["tasks"][task]["metrics"][metric]["value"].get<double>(), 1e-9)
          << metric;
  }
  EXPECT_EQ(via["endpoint"], gateway.url());

  const fs::path md = dir / "table.md", html = dir / "report.html";
  const std::string compare = std::string(JUNCTION_BINARY) + " compare" + files + " --markdown " +
                              md.string() + " --html " + html.string() +
                              " --title 'Direct vs gateway' > " + (dir / "compare.out").string() +
                              " 2>&1";
  ASSERT_EQ(run_command(compare), 0) << read_file(dir / "compare.out");
  const std::string table = read_file(md);
  // One model on two endpoints: a row each, labelled with its endpoint.
  const std::string direct_row = "| qwen3-e2e-bf16 @ " + engine.url();
  const std::string gateway_row = "| qwen3-e2e-bf16 @ " + gateway.url();
  ASSERT_NE(table.find(direct_row), std::string::npos) << table;
  ASSERT_NE(table.find(gateway_row), std::string::npos) << table;
  // Every column filled on both rows (quality from eval, latency and throughput from bench),
  // but the gateway's memory: a gateway reports no model memory, and the table says so ("—")
  // rather than showing the engine's behind it.
  for (const std::string& row : {direct_row, gateway_row}) {
    const size_t at = table.find(row);
    const std::string line = table.substr(at, table.find('\n', at) - at);
    EXPECT_EQ(std::count(line.begin(), line.end(), '|'), 11) << line;
    const std::string filled = row == direct_row ? line : line.substr(0, line.rfind("| — |"));
    EXPECT_EQ(filled.find("| — |"), std::string::npos) << "a column is empty: " << line;
  }
  const std::string page = read_file(html);
  EXPECT_NE(page.find("Direct vs gateway"), std::string::npos);
  EXPECT_NE(page.find(engine.url()), std::string::npos);
  EXPECT_NE(page.find(gateway.url()), std::string::npos);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction::compare
