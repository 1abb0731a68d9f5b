// Metrics against hand-worked examples of their definitions: Codex's unbiased pass@k
// (1 - C(n-c, k) / C(n, k)), lm-eval's acc_norm (per character) and TruthfulQA mc2.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/metrics.h"
#include "eval/tasks/humaneval.h"

namespace junction::eval {
namespace {

TEST(PassAtK, HandWorkedFromTheCodexDefinition) {
  EXPECT_DOUBLE_EQ(pass_at_k(2, 1, 1), 0.5);                    // 1 - C(1,1)/C(2,1) = 1 - 1/2
  EXPECT_NEAR(pass_at_k(10, 3, 1), 0.3, 1e-12);                 // 1 - 7/10
  EXPECT_NEAR(pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-12);  // 1 - C(7,5)/C(10,5)
  EXPECT_NEAR(pass_at_k(10, 1, 10), 1.0, 1e-12);                // n - c < k
  EXPECT_DOUBLE_EQ(pass_at_k(5, 0, 2), 0.0);
  EXPECT_DOUBLE_EQ(pass_at_k(5, 4, 2), 1.0);        // n - c = 1 < 2
  EXPECT_NEAR(pass_at_k(200, 1, 100), 0.5, 1e-12);  // C(199,100)/C(200,100) = 100/200
  EXPECT_NEAR(pass_at_k(20, 4, 2), 1.0 - (16.0 * 15.0) / (20.0 * 19.0), 1e-12);
}

TEST(PassAtK, MeanOverProblems) {
  // Problem A: 2 of 4 pass (pass@1 0.5, pass@2 1 - C(2,2)/C(4,2) = 5/6); B: 0 of 4.
  EXPECT_NEAR(mean_pass_at_k({{4, 2}, {4, 0}}, 1), 0.25, 1e-12);
  EXPECT_NEAR(mean_pass_at_k({{4, 2}, {4, 0}}, 2), (5.0 / 6.0) / 2, 1e-12);
}

TEST(Metrics, AccNormDividesByCharactersNotBytes) {
  // Raw: choice 0 wins. Per character: "ééé" is 3 characters (6 bytes): -3/3 = -1 beats -4/2.
  const std::vector<double> lls = {-3.0, -4.0};
  const std::vector<int64_t> chars = {count_code_points("ééé"), count_code_points("ab")};
  EXPECT_EQ(chars[0], 3);
  EXPECT_EQ(argmax(lls), 0);
  EXPECT_EQ(argmax_char_normalized(lls, std::vector<int64_t>{3, 2}), 0);
  EXPECT_EQ(argmax_char_normalized(std::vector<double>{-3.0, -1.8}, chars), 1);
  EXPECT_EQ(argmax(std::vector<double>{1.0, 1.0}), 0);  // first on ties, as numpy
}

TEST(Metrics, TruthfulQaMc2) {
  // Two true answers then two false: p = e^ll normalized; mc2 = true mass.
  const std::vector<double> lls = {std::log(0.2), std::log(0.1), std::log(0.3), std::log(0.4)};
  EXPECT_NEAR(truthfulqa_mc2(lls, std::vector<int>{1, 1, 0, 0}), 0.3, 1e-12);
  // lm-eval splits at the first 0: a true answer after a false one counts as false.
  EXPECT_NEAR(truthfulqa_mc2(lls, std::vector<int>{1, 0, 1, 0}), 0.2, 1e-12);
  // Far below e^-745 lm-eval's exp() gives 0/0; the shifted form gives the same ratio.
  const std::vector<double> tiny = {-2000.0, -2000.0 - std::log(3.0)};
  EXPECT_NEAR(truthfulqa_mc2(tiny, std::vector<int>{1, 0}), 0.75, 1e-12);
}

TEST(Metrics, MeanStderrUsesSampleVariance) {
  const std::vector<double> v = {1, 0, 1, 0};  // var (ddof 1) = 1/3; se = sqrt(1/3 / 4)
  EXPECT_NEAR(mean_stderr(v), std::sqrt(1.0 / 12.0), 1e-12);
}

}  // namespace
}  // namespace junction::eval
