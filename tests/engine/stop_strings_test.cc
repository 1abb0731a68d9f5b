// StopStrings (engine/stop_strings.h), the one stop-string matcher of the server and in-process
// eval: what could begin a stop string is held back, the text ends before the earliest match,
// and released text never splits a UTF-8 sequence.
#include "engine/stop_strings.h"

#include <gtest/gtest.h>

namespace junction {
namespace {

TEST(StopStrings, HoldsBackOneByteLessThanTheLongestStopString) {
  StopStrings s({"END"});
  EXPECT_EQ(s.add("abcE"), "ab");  // "cE" could begin "END"
  EXPECT_EQ(s.add("x"), "c");      // the last two bytes wait, whatever they are
  EXPECT_EQ(s.flush(), "Ex");
  EXPECT_FALSE(s.matched());
  EXPECT_EQ(s.text(), "abcEx");
}

TEST(StopStrings, EndsBeforeTheEarliestMatchAcrossPiecesAndIgnoresTheRest) {
  StopStrings s({"zz", "EN"});
  std::string out = s.add("hello E");
  out += s.add("Nd zz");
  EXPECT_TRUE(s.matched());
  EXPECT_EQ(out, "hello ");
  EXPECT_EQ(s.text(), "hello ");
  EXPECT_EQ(s.add("more"), "");
  EXPECT_EQ(s.flush(), "");
}

TEST(StopStrings, NeverReleasesHalfAUtf8Sequence) {
  StopStrings s({"xy"});
  // "é" is C3 A9: holding one byte back would split it, so both wait.
  EXPECT_EQ(s.add("a\xC3\xA9"), "a");
  EXPECT_EQ(s.add("b"), "\xC3\xA9");
  EXPECT_EQ(s.flush(), "b");
}

TEST(StopStrings, WithoutStopStringsEverythingIsReleasedAtOnce) {
  StopStrings s(std::vector<std::string>{});
  EXPECT_EQ(s.add("abc"), "abc");
  EXPECT_EQ(s.flush(), "");
}

}  // namespace
}  // namespace junction
