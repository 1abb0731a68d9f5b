// Answer extraction and comparison for the math tasks on recorded outputs written for the test,
// each verdict worked out by hand from the R1 card's rule (the last \boxed{} after </think>)
// and the comparison rule (integers exactly, other numbers within relative 1e-4).
#include "eval/math_answer.h"

#include <gtest/gtest.h>

#include <chrono>

namespace junction::eval {
namespace {

std::optional<std::string> boxed(const std::string& output, bool cut_off = false) {
  return extract_math_answer(output, cut_off, /*last_number_fallback=*/false);
}

TEST(MathAnswer, TheLastBoxAfterThinkCountsNotOneInTheReasoning) {
  EXPECT_EQ(boxed("<think>maybe \\boxed{12}?</think>So the answer is \\boxed{7}."), "7");
  // The only box is in the reasoning: the answer gives none.
  EXPECT_EQ(boxed("<think>it is \\boxed{12}</think>The answer is twelve."), std::nullopt);
}

TEST(MathAnswer, NestedBracesAreBalanced) {
  EXPECT_EQ(boxed("</think>$\\boxed{\\frac{3}{\\sqrt{4}}}$"), "\\frac{3}{\\sqrt{4}}");
  EXPECT_EQ(boxed("</think>\\boxed{{1,000}} apples"), "{1,000}");
  EXPECT_EQ(boxed("</think>\\boxed{\\text{(B) } 5\\{x\\}}"), "\\text{(B) } 5\\{x\\}");
}

TEST(MathAnswer, SeveralBoxesTheLastWins) {
  EXPECT_EQ(boxed("</think>First \\boxed{3}, then corrected: \\boxed{5}."), "5");
  EXPECT_EQ(boxed("</think>\\boxed{\\boxed{9}}"), "9");  // the inner box starts last
  EXPECT_EQ(boxed("</think>\\fbox{4} and finally \\boxed{6}"), "6");
}

TEST(MathAnswer, OddPlacesAndForms) {
  EXPECT_EQ(boxed("</think>Final: $\\boxed{204}$."), "204");
  EXPECT_EQ(boxed("</think>\\[ \\boxed 7 \\]"), "7");  // brace-less argument
  EXPECT_EQ(boxed("</think>\\boxed{18\\text{ dollars}}"), "18\\text{ dollars}");
  EXPECT_EQ(boxed("</think>\\boxed"), std::nullopt);  // a command with no argument
  EXPECT_EQ(boxed("no box at all: 42"), std::nullopt);
  EXPECT_EQ(boxed("</think>\\boxed{ }"), std::nullopt);  // an empty box answers nothing
}

TEST(MathAnswer, ThinkMissing) {
  // A model that does not reason in tags (or whose template opened <think> in the prompt) and
  // finished: its whole text is the answer.
  EXPECT_EQ(boxed("The answer is \\boxed{27}."), "27");
  // The same text cut off by the token limit, no </think> anywhere: still reasoning, no answer.
  EXPECT_EQ(boxed("so perhaps \\boxed{27} but wait, let me", /*cut_off=*/true), std::nullopt);
  // <think> opened and never closed: no answer even when the server said "stop".
  EXPECT_EQ(boxed("<think>I get \\boxed{27}"), std::nullopt);
}

TEST(MathAnswer, AnswersCutOff) {
  // Cut off inside the last box: nothing, not the earlier box.
  EXPECT_EQ(boxed("<think>x</think>First \\boxed{3} then \\boxed{11", true), std::nullopt);
  // Cut off after a complete box in the answer: it counts.
  EXPECT_EQ(boxed("<think>x</think>\\boxed{113} because", true), "113");
  // Cut off in the answer's text before any box.
  EXPECT_EQ(boxed("<think>x</think>The answer is", true), std::nullopt);
}

TEST(MathAnswer, LastNumberWhereTheTaskSaysSo) {
  const auto gsm8k = [](const std::string& out, bool cut = false) {
    return extract_math_answer(out, cut, /*last_number_fallback=*/true);
  };
  EXPECT_EQ(gsm8k("</think>She makes $18 every day."), "18");
  EXPECT_EQ(gsm8k("</think>Total: 1,600 dollars."), "1,600");
  EXPECT_EQ(gsm8k("</think>It is -3.5."), "-3.5");
  EXPECT_EQ(gsm8k("</think>It costs .5 more"), ".5");
  // A box wins over a later number.
  EXPECT_EQ(gsm8k("</think>\\boxed{70000} (that is 70 thousand)"), "70000");
  // The reasoning's numbers never count.
  EXPECT_EQ(gsm8k("<think>12 apples</think>I do not know."), std::nullopt);
  EXPECT_EQ(gsm8k("<think>12 apples", true), std::nullopt);
  EXPECT_EQ(last_number("none here"), std::nullopt);
}

TEST(MathAnswer, ThousandsSeparatorsAndFractions) {
  EXPECT_TRUE(math_answers_equal("1,000", "1000"));
  EXPECT_TRUE(math_answers_equal("1000", "1,000"));
  EXPECT_TRUE(math_answers_equal("{1,000}", "1000"));
  EXPECT_TRUE(math_answers_equal("1,450,000", "1450000"));
  EXPECT_FALSE(math_answers_equal("1,2", "12"));  // a list, not a thousands separator
  EXPECT_TRUE(math_answers_equal("\\frac{1}{2}", "0.5"));
  EXPECT_TRUE(math_answers_equal("\\dfrac{1}{2}", "0.5"));
  EXPECT_TRUE(math_answers_equal("1/2", "0.5"));
  EXPECT_TRUE(math_answers_equal("-\\frac{1}{2}", "-0.5"));
  EXPECT_TRUE(math_answers_equal("0.5", "\\frac{1}{2}"));
  EXPECT_FALSE(math_answers_equal("\\frac{1}{3}", "0.5"));
}

TEST(MathAnswer, IntegersExactlyOthersWithinRelative1e4) {
  // AMC's gold "27.0" is the integer 27.
  EXPECT_TRUE(math_answers_equal("27", "27.0"));
  // |204.0001 - 204| = 1e-4 is within 1e-4 relative, but a whole-number gold takes no tolerance.
  EXPECT_FALSE(math_answers_equal("204.0001", "204"));
  EXPECT_FALSE(math_answers_equal("205", "204"));
  // 1/3 = 0.333333...: |0.33333 - 1/3| = 3.3e-6 <= 1e-4 * 1/3 = 3.3e-5.
  EXPECT_TRUE(math_answers_equal("0.33333", "\\frac{1}{3}"));
  // |0.333 - 1/3| = 3.3e-4 > 3.3e-5.
  EXPECT_FALSE(math_answers_equal("0.333", "\\frac{1}{3}"));
}

TEST(MathAnswer, FormattingIsNotTheAnswer) {
  EXPECT_TRUE(math_answers_equal("18\\text{ dollars}", "18"));
  EXPECT_TRUE(math_answers_equal("\\$18", "18"));
  EXPECT_TRUE(math_answers_equal("$18$", "18"));
  EXPECT_TRUE(math_answers_equal("50\\%", "50"));
  EXPECT_TRUE(math_answers_equal("x = 5", "5"));
  EXPECT_TRUE(math_answers_equal("90^\\circ", "90"));
  EXPECT_TRUE(math_answers_equal("18.", "18"));
  EXPECT_TRUE(
      math_answers_equal("\xe2\x88\x92"
                         "3",
                         "-3"));  // U+2212 MINUS SIGN
  EXPECT_TRUE(math_answers_equal("\\text{12}", "12"));
  // Symbolic answers: normalized text.
  EXPECT_TRUE(math_answers_equal("\\frac{3}{\\sqrt{4}}", "\\dfrac{3}{\\sqrt{4}}"));
  EXPECT_FALSE(math_answers_equal("\\sqrt{2}", "2"));
  EXPECT_FALSE(math_answers_equal("", "0"));
  EXPECT_FALSE(math_answers_equal("", ""));
}

TEST(MathAnswer, VotesGroupTheSameValue) {
  EXPECT_EQ(math_answer_vote_key("1,000"), "1000");
  EXPECT_EQ(math_answer_vote_key("1000.0"), "1000");
  EXPECT_EQ(math_answer_vote_key("\\frac{1}{2}"), "0.5");
  EXPECT_EQ(math_answer_vote_key("-0"), "0");
  EXPECT_EQ(math_answer_vote_key("\\sqrt{2}"), "\\sqrt{2}");
}

TEST(MathAnswer, HostileInputIsNoAnswerNotACrash) {
  const std::string deep = std::string(100000, '{');
  EXPECT_EQ(boxed("</think>\\boxed" + deep), std::nullopt);
  EXPECT_EQ(parse_math_number("\\frac{" + deep), std::nullopt);
  std::string nested = "1";
  for (int i = 0; i < 50; ++i) nested = "\\frac{" + nested + "}{1}";
  EXPECT_EQ(parse_math_number(nested), std::nullopt);  // deeper than any real answer
  EXPECT_EQ(parse_math_number(std::string(1000, '9')), std::nullopt);
  EXPECT_EQ(parse_math_number("1/0"), std::nullopt);
}

// A model may write a megabyte; normalising it is one pass. Replacing in place shifted the
// rest of the text at each match, and each nested \text{ was searched for from the start again:
// 36 s for the percent signs and 200 s for the nesting (-O1), where a pass takes milliseconds.
TEST(MathAnswer, NormalisingAMegabyteIsLinear) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(normalize_math_answer(std::string(1 << 20, '%')), "");
  std::string nested;
  for (int i = 0; i < 150'000; ++i) nested += "\\text{";
  nested += "5" + std::string(150'000, '}');
  EXPECT_EQ(normalize_math_answer(nested), "5");
  EXPECT_EQ(parse_math_number(nested), 5.0);  // units (\text{}) dropped first: then kept
  std::string groups;
  for (int i = 0; i < 100'000; ++i) groups += "\\mbox{a}";
  EXPECT_EQ(normalize_math_answer(groups), std::string(100'000, 'a'));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

}  // namespace
}  // namespace junction::eval
