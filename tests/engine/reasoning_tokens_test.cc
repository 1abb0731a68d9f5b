// ReasoningTokenCounter on token-by-token outputs written for the test; each expected count is
// the number of tokens up to and with the one that completes "</think>", counted by hand.
#include "engine/reasoning_tokens.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace junction {
namespace {

int64_t count(bool starts_in_reasoning, const std::vector<std::string>& pieces) {
  ReasoningTokenCounter counter(starts_in_reasoning);
  std::string text;
  for (const std::string& p : pieces) {
    text += p;
    counter.add_token(text);
  }
  return counter.count();
}

TEST(ReasoningTokens, AnOpenedBlockCountsUpToAndWithItsClosingTag) {
  // "<think>", "a", "b", "</think>" are 4 tokens of reasoning; the answer's 2 are not.
  EXPECT_EQ(count(false, {"<think>", "a", "b", "</think>", "\n\n", "42"}), 4);
  // The prompt opened the block: "a", "b", "</think>".
  EXPECT_EQ(count(true, {"a", "b", "</think>", "42"}), 3);
}

TEST(ReasoningTokens, AClosingTagSplitOverTokensEndsTheBlockOnItsLastPiece) {
  // "</", "think", ">" : the block ends with the third piece: "x" + those 3 = 4.
  EXPECT_EQ(count(true, {"x", "</", "think", ">", "answer", "more"}), 4);
}

TEST(ReasoningTokens, LeadingWhitespaceIsDecidedByWhatFollowsIt) {
  // Whitespace, then <think>: the whitespace token belongs to the reasoning (3 tokens).
  EXPECT_EQ(count(false, {"\n", "<think>", "</think>", "ok"}), 3);
  // Whitespace, then a plain answer: nothing was reasoning (it counted 1 before).
  EXPECT_EQ(count(false, {"\n", "Hello", " world"}), 0);
  // "<th" then "ink>": a prefix of the tag is undecided, then opens the block.
  EXPECT_EQ(count(false, {"<th", "ink>", "r", "</think>", "a"}), 4);
  // "<th" then "e": not the tag after all.
  EXPECT_EQ(count(false, {"<th", "e", "end"}), 0);
}

TEST(ReasoningTokens, CutOffInsideTheBlockCountsEveryToken) {
  EXPECT_EQ(count(true, {"a", "b", "c"}), 3);
  EXPECT_EQ(count(false, {"<think>", "a", "b"}), 3);
}

TEST(ReasoningTokens, OnlyWhitespaceSaysNothing) {
  EXPECT_EQ(count(false, {" ", "\n"}), 0);
  EXPECT_EQ(count(false, {}), 0);
}

}  // namespace
}  // namespace junction
