// HumanEval's own self-test (openai/human-eval README): scoring example_samples.jsonl against
// example_problem.jsonl gives pass@1 = 0.5 (3 of 6 pass: one sleeps past the limit, one waits
// on input, one shells out to `rm`). Plus program assembly, stop sequences, chat extraction.
#include <gtest/gtest.h>

#include "eval/data_files.h"
#include "eval/sandbox.h"
#include "eval/tasks/humaneval.h"

namespace junction::eval {
namespace {

const std::string kData = std::string(JUNCTION_TEST_DATA) + "/eval/datasets/humaneval";

TEST(HumanEval, ExampleSamplesGivePassAt1OfOneHalf) {
  if (system("python3 -c pass >/dev/null 2>&1") != 0)
    GTEST_FAIL() << "python3 is missing (scripts/install_deps.sh installs it)";
  const auto problems = load_humaneval(kData + "/example_problem.jsonl");
  ASSERT_EQ(problems.size(), 1u);
  SandboxLimits limits;
  limits.wall_seconds = 3;  // human-eval's timeout
  int64_t n = 0, c = 0;
  for (const Json& s : parse_jsonl(read_data_file(kData + "/example_samples.jsonl"), "samples")) {
    const auto r = run_python_sandboxed(humaneval_program(problems[0], s.at("completion")), limits);
    ++n;
    c += r.passed;
  }
  EXPECT_EQ(n, 6);
  EXPECT_EQ(c, 3);
  EXPECT_DOUBLE_EQ(mean_pass_at_k({{n, c}}, 1), 0.5);
}

TEST(HumanEval, ProblemsStopsAndChatExtraction) {
  const auto problems = load_humaneval(kData + "/HumanEval.jsonl.gz");
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].task_id, "HumanEval/0");
  EXPECT_EQ(problems[0].entry_point, "has_close_elements");
  EXPECT_EQ(truncate_at_stop("    return 1\ndef g():\n", humaneval_stop_sequences()),
            "    return 1");
  std::string prefix;
  const std::string code = completion_from_chat_answer(
      problems[0], "Here:\n```python\ndef has_close_elements(a, b):\n    return False\n```\nDone.",
      &prefix);
  EXPECT_EQ(code, "def has_close_elements(a, b):\n    return False\n");
  EXPECT_EQ(prefix, "from typing import List\n");
}

TEST(HumanEval, CanonicalSolutionsPass) {
  if (system("python3 -c pass >/dev/null 2>&1") != 0)
    GTEST_FAIL() << "python3 is missing (scripts/install_deps.sh installs it)";
  for (const auto& p : load_humaneval(kData + "/HumanEval.jsonl.gz")) {
    const auto r =
        run_python_sandboxed(humaneval_program(p, p.canonical_solution), SandboxLimits{});
    EXPECT_TRUE(r.passed) << p.task_id << ": " << r.verdict;
  }
}

// Before: `import os; os._exit(0)` as the completion scored pass@1 = 1.0 (a pass was exit 0).
TEST(HumanEval, CompletionsThatExitBeforeTheCheckFail) {
  if (system("python3 -c pass >/dev/null 2>&1") != 0)
    GTEST_FAIL() << "python3 is missing (scripts/install_deps.sh installs it)";
  for (const auto& p : load_humaneval(kData + "/HumanEval.jsonl.gz"))
    for (const char* completion : {"    import os; os._exit(0)\n", "    import sys; sys.exit(0)\n",
                                   "    pass\nimport os\nos._exit(0)\n"}) {
      const auto r = run_python_sandboxed(humaneval_program(p, completion), SandboxLimits{});
      EXPECT_FALSE(r.passed) << p.task_id << " with " << completion << ": " << r.verdict;
    }
}

}  // namespace
}  // namespace junction::eval
