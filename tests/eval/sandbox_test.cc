// The HumanEval sandbox survives hostile programs: each is stopped by the limit meant for it
// and the test process (and machine) carries on. Skips where python3 is missing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>

#include "eval/sandbox.h"

namespace junction::eval {
namespace {

bool have_python() {
  return system("python3 -c pass >/dev/null 2>&1") == 0;
}

SandboxLimits quick() {
  SandboxLimits l;
  l.cpu_seconds = 2;
  l.wall_seconds = 5;
  return l;
}

#define REQUIRE_PYTHON() \
  if (!have_python()) GTEST_FAIL() << "python3 is missing (scripts/install_deps.sh installs it)"

TEST(Sandbox, CorrectAndIncorrectSolutions) {
  REQUIRE_PYTHON();
  const auto ok = run_python_sandboxed("def f(x):\n    return x + 1\nassert f(1) == 2\n", quick());
  EXPECT_TRUE(ok.passed) << ok.verdict << ok.stderr_head;
  const auto bad =
      run_python_sandboxed("def f(x):\n    return x\nassert f(1) == 2, 'wrong'\n", quick());
  EXPECT_FALSE(bad.passed);
  EXPECT_NE(bad.verdict.find("AssertionError"), std::string::npos) << bad.verdict;
}

TEST(Sandbox, InfiniteLoopHitsTheCpuLimit) {
  REQUIRE_PYTHON();
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_python_sandboxed("while True:\n    pass\n", quick());
  EXPECT_FALSE(r.passed);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 6.0);
}

TEST(Sandbox, SleepingForeverHitsTheWallClock) {
  REQUIRE_PYTHON();
  SandboxLimits l = quick();
  l.wall_seconds = 1.5;
  const auto r = run_python_sandboxed("import time\ntime.sleep(60)\n", l);
  EXPECT_FALSE(r.passed);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.wall_seconds, 3.0);
}

TEST(Sandbox, InfiniteOutputIsCapped) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed("while True:\n    print('x' * 1000)\n", quick());
  EXPECT_FALSE(r.passed);
  EXPECT_LE(r.stdout_head.size(), quick().output_keep);
}

TEST(Sandbox, ForkBombIsContainedAndCleanedUp) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
      quick());
  EXPECT_FALSE(r.passed);
  // Nothing of it is left: the next program runs normally and promptly.
  const auto after = run_python_sandboxed("print('alive')\n", quick());
  EXPECT_TRUE(after.passed) << after.verdict;
  EXPECT_EQ(after.stdout_head, "alive\n");
}

TEST(Sandbox, MemoryHogFails) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed("x = bytearray(2 * 1024 * 1024 * 1024)\n", quick());
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.verdict.find("MemoryError"), std::string::npos) << r.verdict;
}

TEST(Sandbox, NoNetworkWhenIsolated) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed(
      "import socket\ns = socket.socket()\ns.settimeout(1)\ns.connect(('1.1.1.1', 80))\n", quick());
  if (!r.network_isolated) GTEST_SKIP() << "no network namespace here: " << r.verdict;
  EXPECT_FALSE(r.passed);
}

}  // namespace
}  // namespace junction::eval
