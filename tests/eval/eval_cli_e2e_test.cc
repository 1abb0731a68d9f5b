// `junction eval` end to end: the CLI binary against `junction serve` on the qwen3-e2e fixture
// over loopback HTTP, every task with a small --limit, checking the result file and every line
// of the samples file; the loglikelihoods it wrote for documents the lm-eval fixture also holds
// against that fixture; generative mode through /v1/chat/completions; and the probe refusing
// loglikelihood mode on an endpoint that gives no prompt logprobs, pointing to generative mode.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/nginx_process.h"
#include "tests/support/serve_process.h"

namespace junction::eval {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::read_file;
using testing::run_command;

const std::string kTestData = JUNCTION_TEST_DATA;
const std::string kData = kTestData + "/eval/datasets";
const std::string kModel = kTestData + "/models/qwen3-e2e-bf16";

fs::path scratch_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("junction_eval_e2e_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<Json> read_jsonl(const fs::path& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    EXPECT_FALSE(line.empty()) << "blank line in " << path;
    out.push_back(Json::parse(line));  // throws (fails the test) on a malformed line
  }
  return out;
}

void expect_data_hashes(const Json& task) {
  ASSERT_TRUE(task["data_files"].is_object());
  EXPECT_FALSE(task["data_files"].empty());
  for (const auto& [file, hash] : task["data_files"].items())
    EXPECT_EQ(hash.get<std::string>().size(), 64u) << file;
}

class EvalCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(scratch_dir("server"));
    server_ = new testing::ServeProcess(JUNCTION_BINARY, testing::engine_serve_args(kModel),
                                        *dir_ / "serve.log");
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    ASSERT_GT(server_->port(), 0) << "junction serve did not start:\n" << server_->log();
  }
  static std::string endpoint() { return server_->url() + "/v1"; }

  static fs::path* dir_;
  static testing::ServeProcess* server_;
};
fs::path* EvalCli::dir_ = nullptr;
testing::ServeProcess* EvalCli::server_ = nullptr;

TEST_F(EvalCli, EveryTaskWithLimitAgainstTheServer) {
  const fs::path dir = scratch_dir("all");
  const fs::path out = dir / "result.json", samples = dir / "samples.jsonl";
  const std::string command =
      std::string(JUNCTION_BINARY) + " eval --endpoint " + endpoint() +
      " --model qwen3-e2e-bf16 --task "
      "mmlu,hellaswag,arc_challenge,arc_easy,truthfulqa_mc2,humaneval,mt_bench --data " +
      kData + " --limit 2 --max-gen-tokens 24 --concurrency 4 --judge-endpoint " + endpoint() +
      " --judge-model qwen3-e2e-bf16 --out " + out.string() + " --samples " + samples.string() +
      " > " + (dir / "eval.out").string() + " 2>&1";
  ASSERT_EQ(run_command(command), 0) << read_file(dir / "eval.out");

  const Json r = Json::parse(read_file(out));
  EXPECT_EQ(r["junction_eval_format"], 1);
  EXPECT_EQ(r["model"], "qwen3-e2e-bf16");
  EXPECT_EQ(r["endpoint"], server_->url());
  EXPECT_EQ(r["judge_model"], "qwen3-e2e-bf16");
  EXPECT_EQ(r["settings"]["mode"], "loglikelihood");
  EXPECT_EQ(r["settings"]["limit"], 2);
  EXPECT_EQ(r["settings"]["max_tokens"]["mt_bench"], 24);
  EXPECT_GT(r["wall_time_s"].get<double>(), 0.0);
  EXPECT_GT(r["tokens"]["prompt"].get<int64_t>(), 0);
  EXPECT_GT(r["tokens"]["completion"].get<int64_t>(), 0);
  // Per task: documents scored (MMLU: --limit per subject, 2 subjects), the published shots
  // where the data allows (HellaSwag's text format is 0-shot only), the headline metric.
  const std::map<std::string, std::tuple<int, int, std::string>> expected = {
      {"mmlu", {4, 5, "acc"}},
      {"hellaswag", {2, 0, "acc_norm"}},
      {"arc_challenge", {2, 25, "acc_norm"}},
      {"arc_easy", {2, 25, "acc_norm"}},
      {"truthfulqa_mc2", {2, 0, "mc2"}},
      {"humaneval", {2, -1, "pass@1"}},
      {"mt_bench", {2, -1, "score"}}};
  ASSERT_EQ(r["tasks"].size(), expected.size());
  for (const auto& [name, want] : expected) {
    SCOPED_TRACE(name);
    const Json& t = r["tasks"][name];
    const auto& [n, shots, metric] = want;
    EXPECT_EQ(t["samples"], n);
    EXPECT_EQ(t["resumed_samples"], 0);
    if (shots >= 0) {
      EXPECT_EQ(t["num_fewshot"], shots);
      EXPECT_EQ(t["mode"], "loglikelihood");
    }
    ASSERT_TRUE(t["metrics"].contains(metric)) << t.dump();
    const double v = t["metrics"][metric]["value"].get<double>();
    EXPECT_TRUE(std::isfinite(v));
    if (name != "mt_bench") {
      EXPECT_TRUE(v >= 0 && v <= 1) << v;
    }
    EXPECT_GT(t["wall_time_s"].get<double>(), 0.0);
    expect_data_hashes(t);
  }
  EXPECT_EQ(r["tasks"]["mmlu"]["subtasks"].size(), 2u);
  EXPECT_TRUE(r["tasks"]["mmlu"]["metrics"].contains("acc_weighted"));
  EXPECT_EQ(r["tasks"]["mt_bench"]["judge"], server_->url());
  EXPECT_EQ(r["tasks"]["mt_bench"]["self_judged"], false);

  // The samples file: one well-formed line per scored request, each complete for its kind.
  const std::vector<Json> lines = read_jsonl(samples);
  std::map<std::string, int> per_task;
  std::set<std::string> keys;
  const Json fixture = Json::parse(read_file(kTestData + "/eval/qwen3-e2e-loglikelihood.json"));
  int checked_against_fixture = 0;
  for (const Json& s : lines) {
    const std::string task = s.at("task").get<std::string>();
    SCOPED_TRACE(s.at("key").get<std::string>());
    EXPECT_TRUE(keys.insert(s.at("key").get<std::string>()).second) << "duplicate key";
    per_task[task.rfind("mmlu_", 0) == 0 ? "mmlu" : task]++;
    if (task == "humaneval") {
      for (const char* f : {"prompt", "output", "extracted", "verdict", "stderr"})
        EXPECT_TRUE(s.at(f).is_string()) << f;
      EXPECT_TRUE(s.at("passed").is_boolean());
      EXPECT_GT(s.at("completion_tokens").get<int64_t>(), 0);
      if (fs::exists("/usr/bin/python3")) {  // the program ran: python judged it, not the sandbox
        EXPECT_EQ(s.at("verdict").get<std::string>().find("sandbox could not start"),
                  std::string::npos)
            << s.at("verdict");
      }
    } else if (task == "mt_bench") {
      EXPECT_EQ(s.at("turns").size(), 2u);
      EXPECT_EQ(s.at("answers").size(), 2u);
      ASSERT_EQ(s.at("judgments").size(), 2u);
      for (const Json& j : s.at("judgments")) {
        EXPECT_TRUE(j.at("judgment").is_string());
        EXPECT_TRUE(j.at("judge_prompt").is_string());
        EXPECT_TRUE(j.at("rating").is_number());
      }
    } else {
      const size_t n = s.at("continuations").size();
      ASSERT_GE(n, 2u);
      for (const char* f : {"loglikelihoods", "is_greedy", "context_token_counts"})
        EXPECT_EQ(s.at(f).size(), n) << f;
      for (const Json& ll : s.at("loglikelihoods")) EXPECT_LT(ll.get<double>(), 0.0);
      EXPECT_TRUE(s.at("context").is_string());
      EXPECT_TRUE(s.at("prediction").is_number_integer());
      EXPECT_TRUE(s.contains("gold"));
      // Documents the lm-eval fixture holds with the same prompt: the same numbers.
      for (const Json& item : fixture["items"]) {
        if (item["context"] != s["context"] || item["continuations"] != s["continuations"])
          continue;
        ++checked_against_fixture;
        for (size_t c = 0; c < n; ++c) {
          EXPECT_NEAR(s["loglikelihoods"][c].get<double>(), item["loglikelihoods"][c].get<double>(),
                      1e-3);
          EXPECT_EQ(s["context_token_counts"][c], item["context_token_count"][c]);
          EXPECT_EQ(s["is_greedy"][c], item["is_greedy"][c]);
        }
      }
    }
  }
  // MMLU (5-shot, both subjects' first 2 questions), TruthfulQA (0-shot) and HellaSwag (text
  // format, 0-shot): the fixture holds those prompts; ARC's there are 3-shot, not 25.
  EXPECT_EQ(checked_against_fixture, 4 + 2 + 2);
  for (const auto& [name, want] : expected) EXPECT_EQ(per_task[name], std::get<0>(want)) << name;
  EXPECT_NE(read_file(dir / "eval.out").find("mt_bench"), std::string::npos);
  fs::remove_all(dir);
}

TEST_F(EvalCli, GenerativeModeThroughChat) {
  const fs::path dir = scratch_dir("generative");
  const fs::path out = dir / "result.json", samples = dir / "samples.jsonl";
  const std::string command =
      std::string(JUNCTION_BINARY) + " eval --endpoint " + endpoint() +
      " --model qwen3-e2e-bf16 --mode generative --task mmlu,arc_easy,truthfulqa_mc2,hellaswag"
      " --data " +
      kData + " --limit 1 --max-gen-tokens 16 --out " + out.string() + " --samples " +
      samples.string() + " > " + (dir / "eval.out").string() + " 2>&1";
  ASSERT_EQ(run_command(command), 0) << read_file(dir / "eval.out");
  const Json r = Json::parse(read_file(out));
  EXPECT_EQ(r["settings"]["mode"], "generative");
  for (const char* name : {"mmlu", "arc_easy", "truthfulqa_mc2", "hellaswag"}) {
    SCOPED_TRACE(name);
    const Json& t = r["tasks"][name];
    EXPECT_EQ(t["mode"], "generative");
    EXPECT_EQ(t["num_fewshot"], 0);
    EXPECT_EQ(t["max_tokens"], 16);
    ASSERT_TRUE(t["metrics"].contains("acc"));
    EXPECT_FALSE(t["notes"].empty());
  }
  const std::vector<Json> lines = read_jsonl(samples);
  ASSERT_EQ(lines.size(), 5u);  // MMLU: one per subject
  for (const Json& s : lines) {
    EXPECT_EQ(s["mode"], "generative");
    EXPECT_NE(s["prompt"].get<std::string>().find("'Answer: $LETTER'"), std::string::npos);
    EXPECT_TRUE(s["output"].is_string());
    EXPECT_GT(s["completion_tokens"].get<int64_t>(), 0);
    EXPECT_LE(s["completion_tokens"].get<int64_t>(), 16);
    EXPECT_TRUE(s["extracted"].is_null() || s["extracted"].is_string());
    EXPECT_EQ(s["correct"], s["extracted"] == s["gold"]);
  }
  fs::remove_all(dir);
}

// An endpoint that completes but returns no prompt logprobs (as llama.cpp's server and
// chat-only providers): nginx with canned answers. Loglikelihood mode must refuse it up front,
// pointing to generative mode; generative mode then scores the canned chat answer, whose
// reasoning names A and whose final line names B: B is what counts.
TEST(EvalProbe, RefusesLoglikelihoodWithoutPromptLogprobsAndOffersGenerative) {
  const fs::path dir = scratch_dir("probe");
  fs::create_directories(dir / "www");
  const std::string locations =
      "    location = /v1/completions { default_type application/json; return 200 "
      "'{\"id\":\"c\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":"
      "\"length\"}]}'; }\n"
      "    location = /v1/chat/completions { default_type application/json; return 200 "
      "'{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
      "\"<think>Answer: A looks right</think> On reflection, Answer: B\"},\"finish_reason\":"
      "\"stop\"}],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":7,"
      "\"total_tokens\":57}}'; }\n";
  testing::NginxProcess nginx(dir / "www", dir / "nginx", locations);
  if (nginx.port() == 0)
    GTEST_FAIL() << "nginx did not start (scripts/install_deps.sh installs it)";
  const std::string base = std::string(JUNCTION_BINARY) + " eval --endpoint " + nginx.url() +
                           "/v1 --model m --model-path " + kModel + " --task arc_easy --data " +
                           kData + " --out " + (dir / "r.json").string();
  ASSERT_NE(run_command(base + " > " + (dir / "ll.out").string() + " 2>&1"), 0);
  const std::string refusal = read_file(dir / "ll.out");
  EXPECT_NE(refusal.find("does not give them"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("--mode generative"), std::string::npos) << refusal;
  EXPECT_FALSE(fs::exists(dir / "r.json")) << "no result from an endpoint that cannot score";

  ASSERT_EQ(run_command(base + " --mode generative --samples " + (dir / "s.jsonl").string() +
                        " > " + (dir / "gen.out").string() + " 2>&1"),
            0)
      << read_file(dir / "gen.out");
  // The gold letters straight from the data file: the position of answerKey among the labels.
  int n = 0, gold_b = 0;
  std::ifstream test(kData + "/arc/ARC-Easy-Test.jsonl");
  for (std::string line; std::getline(test, line);) {
    const Json j = Json::parse(line);
    int index = 0;
    for (const Json& c : j["question"]["choices"]) {
      if (c["label"] == j["answerKey"]) break;
      ++index;
    }
    ++n;
    gold_b += index == 1;
  }
  const Json r = Json::parse(read_file(dir / "r.json"));
  EXPECT_EQ(r["tasks"]["arc_easy"]["samples"], n);
  EXPECT_EQ(r["tasks"]["arc_easy"]["unanswered"], 0);
  EXPECT_DOUBLE_EQ(r["tasks"]["arc_easy"]["metrics"]["acc"]["value"].get<double>(),
                   static_cast<double>(gold_b) / n);
  for (const Json& s : read_jsonl(dir / "s.jsonl")) EXPECT_EQ(s["extracted"], "B");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction::eval
