// `junction bench-model` through the real binary: the report has the lines
// bench/side_by_side.sh reads (prefill, decode, ratio), with plausible values; a bad path is
// an error, not a crash.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <string>

namespace {

const std::string kModel = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";

std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  return {pclose(pipe), out};
}

double field(const std::string& out, const std::string& line_start) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("(^|\\n)" + line_start + " +([0-9.]+)"))) return -1;
  return std::stod(m[2]);
}

TEST(BenchModel, ReportsPromptAndGenerationSpeedAndBandwidth) {
  const auto [status, out] =
      run(std::string(JUNCTION_BINARY) + " bench-model " + kModel + " -t 1 -p 16 -n 4 -r 1");
  ASSERT_EQ(status, 0) << out;
  EXPECT_GT(field(out, "prefill"), 0) << out;
  EXPECT_GT(field(out, "decode"), 0) << out;
  EXPECT_GT(field(out, "memory bandwidth"), 0) << out;
  EXPECT_GT(field(out, "ratio"), 0) << out;
}

TEST(BenchModel, AMissingModelIsAnError) {
  const auto [status, out] = run(std::string(JUNCTION_BINARY) + " bench-model /nonexistent");
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("junction bench-model:"), std::string::npos) << out;
}

}  // namespace
