// The eval progress line's format, with and without generated tokens/s, worked out by hand.
#include "eval/progress.h"

#include <gtest/gtest.h>

namespace junction::eval {
namespace {

TEST(EvalProgressFormat, TokensPerSecondAndEta) {
  // 360 samples left at 2 per second: 180 s = 3m00s.
  const std::string bar = format_eval_progress_bar("aime24", 120, 480, 2.0, 100, 812.4);
  EXPECT_EQ(bar.rfind("aime24  120/480  25.0% [", 0), 0u) << bar;
  EXPECT_NE(bar.find("] 2.00 docs/s  812 tok/s  ETA 3m00s"), std::string::npos) << bar;
  EXPECT_EQ(bar.size(), 100u);
  EXPECT_EQ(format_eval_progress_bar("m", 1, 2, 1.0, 60).find("tok/s"), std::string::npos);
  EXPECT_EQ(format_eval_progress_log("aime24", 120, 480, 2.0, 812.4),
            "eval task=aime24 done=120 total=480 rate=2.000 eta_s=180 tok_s=812");
  EXPECT_EQ(format_eval_progress_log("mmlu", 1, 2, 0.5),
            "eval task=mmlu done=1 total=2 rate=0.500 eta_s=2");
}

}  // namespace
}  // namespace junction::eval
