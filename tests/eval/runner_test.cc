// run_eval end to end on the in-process backend: result file contents, samples lines, and
// resuming after an interruption (a cut last line is scored again; finished ones are not).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "eval/local_engine_backend.h"
#include "eval/runner.h"

namespace junction::eval {
namespace {

const std::string kData = std::string(JUNCTION_TEST_DATA) + "/eval/datasets";
const std::string kModel = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";

std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(Runner, ResultSamplesAndResume) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("junction-eval-runner-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  LocalEngineBackend backend(kModel, 2);
  EvalOptions o;
  o.model = "qwen3-e2e";
  o.tasks = {"truthfulqa_mc2", "hellaswag"};
  o.data_dir = kData;
  o.samples_path = dir / "samples.jsonl";
  o.concurrency = 2;
  o.log = nullptr;
  const Json first = run_eval(backend, nullptr, o);
  EXPECT_EQ(first["model"], "qwen3-e2e");
  EXPECT_EQ(first["endpoint"], "local:" + kModel);
  const Json& tqa = first["tasks"]["truthfulqa_mc2"];
  EXPECT_EQ(tqa["samples"], 3);
  EXPECT_EQ(tqa["data_files"]["truthfulqa/v0/mc_task.json"].get<std::string>().size(), 64u);
  // The fixture's mc2 values: 1.46e-9, 7.1e-21, 1.0.
  EXPECT_NEAR(tqa["metrics"]["mc2"]["value"].get<double>(), 1.0 / 3.0, 1e-3);
  EXPECT_NEAR(first["tasks"]["hellaswag"]["metrics"]["acc_norm"]["value"].get<double>(), 2.0 / 3.0,
              1e-9);
  EXPECT_GT(first["tokens"]["prompt"].get<int64_t>(), 0);

  auto lines = read_lines(o.samples_path);
  ASSERT_EQ(lines.size(), 6u);
  const Json line = Json::parse(lines[0]);
  for (const char* field :
       {"task", "context", "continuations", "loglikelihoods", "is_greedy", "gold", "prediction"})
    EXPECT_TRUE(line.contains(field)) << field;

  // Interrupted: two finished lines and half of a third survive.
  {
    std::ofstream out(o.samples_path, std::ios::trunc);
    out << lines[0] << "\n" << lines[1] << "\n" << lines[2].substr(0, lines[2].size() / 2);
  }
  const Json second = run_eval(backend, nullptr, o);
  EXPECT_EQ(second["tasks"]["truthfulqa_mc2"]["resumed_samples"], 2);
  EXPECT_EQ(second["tasks"]["hellaswag"]["resumed_samples"], 0);
  EXPECT_NEAR(second["tasks"]["truthfulqa_mc2"]["metrics"]["mc2"]["value"].get<double>(),
              tqa["metrics"]["mc2"]["value"].get<double>(), 1e-9);
  std::filesystem::remove_all(dir);
}

TEST(Runner, MmluReportsBothMeansAndHumanEvalRunsInTheSandbox) {
  LocalEngineBackend backend(kModel, 2);
  EvalOptions o;
  o.model = "qwen3-e2e";
  o.tasks = {"mmlu", "humaneval"};
  o.data_dir = kData;
  o.limit = 1;
  o.humaneval_max_tokens = 8;
  o.log = nullptr;
  const Json r = run_eval(backend, nullptr, o);
  const Json& m = r["tasks"]["mmlu"];
  EXPECT_EQ(m["samples"], 2);  // one per subject
  EXPECT_EQ(m["subtasks"].size(), 2u);
  EXPECT_TRUE(m["metrics"].contains("acc"));
  EXPECT_TRUE(m["metrics"].contains("acc_weighted"));
  EXPECT_EQ(r["tasks"]["humaneval"]["samples"], 1);
  EXPECT_TRUE(r["tasks"]["humaneval"]["metrics"].contains("pass@1"));
  // Whether generated code ran as a uid of its own is in the result (only root can do that).
  EXPECT_EQ(r["tasks"]["humaneval"]["sandbox"]["user_isolated"], geteuid() == 0);
  // So is whether a cgroup bounded the run's processes together.
  EXPECT_TRUE(r["tasks"]["humaneval"]["sandbox"]["tree_limited"].is_boolean());
  EXPECT_EQ(r["tasks"]["humaneval"]["sandbox"]["memory_bytes"], o.sandbox.memory_bytes);
}

}  // namespace
}  // namespace junction::eval
