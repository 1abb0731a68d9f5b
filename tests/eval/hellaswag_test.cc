// HellaSwag's text preprocessing as lm-eval's preprocess() does it (Python: strip, replace
// " [title]" with ". ", re.sub("\\[.*?\\]", "", text), replace "  " with " "), worked by hand.
#include <gtest/gtest.h>

#include <string>

#include "eval/tasks/multiple_choice_tasks.h"

namespace junction::eval {
namespace {

TEST(Hellaswag, PreprocessDropsTagsWithinALine) {
  EXPECT_EQ(hellaswag_preprocess("  Roof shingle removal [title] A man [header] is up. \n"),
            "Roof shingle removal. A man is up.");
  // "." does not cross a newline: the second '[' has no ']' on its line and stays.
  EXPECT_EQ(hellaswag_preprocess("a [b] c [d\n e] f"), "a c [d\n e] f");
  EXPECT_EQ(hellaswag_preprocess("x [[y]] z"), "x ] z");  // the shortest match, from the first '['
  EXPECT_EQ(hellaswag_preprocess("[]"), "");
}

// Dataset files are read from wherever --data points: a long line of brackets is read in one
// pass (std::regex recursed once per character and overflowed the stack).
TEST(Hellaswag, PreprocessOnAMegabyteOfBrackets) {
  const std::string open(1 << 20, '[');
  EXPECT_EQ(hellaswag_preprocess(open), open);
  EXPECT_EQ(hellaswag_preprocess("a " + open + "b]"), "a ");
}

// Python's str.replace is one pass; replacing in place shifted the rest of the text at each
// "  " (quadratic: minutes on a megabyte of spaces).
TEST(Hellaswag, PreprocessOnAMegabyteOfSpaces) {
  EXPECT_EQ(hellaswag_preprocess("a" + std::string(1 << 20, ' ') + "b"),
            "a" + std::string(1 << 19, ' ') + "b");
}

}  // namespace
}  // namespace junction::eval
