// The samples file read back on resume (eval/samples_file.h): which lines of an interrupted or
// hand-edited file count as finished, worked out by hand from the lines below.
#include <gtest/gtest.h>

#include <string>

#include "eval/samples_file.h"

namespace junction::eval {
namespace {

TEST(SamplesFile, KeepsObjectsWithAStringKeyAndSkipsTheRest) {
  const std::string text =
      "{\"key\":\"a\",\"passed\":true}\n"
      "\n"
      "[1,2]\n"
      "{\"key\":5}\n"
      "{\"no_key\":1}\n"
      "{\"key\":\"b\",\"v\":1}\n"
      "{\"key\":\"b\",\"v\":2}\n"
      "{\"key\":\"c\",\"v\":";  // cut by the interruption
  const auto done = read_samples(text);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done.at("a")["passed"], true);
  EXPECT_EQ(done.at("b")["v"], 2);  // a later line wins
}

// A line nested 100,000 arrays deep parses (nlohmann's parser does not recurse), but the runner
// copies the lines it resumes from, and that copy recurses once per level: past the bound of
// core/json_depth.h the line is treated as cut, and the lines after it are still read.
TEST(SamplesFile, ALineNestedTooDeepIsScoredAgain) {
  const size_t depth = 100'000;
  const std::string text = "{\"key\":\"deep\",\"x\":" + std::string(depth, '[') +
                           std::string(depth, ']') + "}\n{\"key\":\"after\"}\n";
  const auto done = read_samples(text);
  EXPECT_EQ(done.count("deep"), 0u);
  EXPECT_EQ(done.count("after"), 1u);
}

}  // namespace
}  // namespace junction::eval
