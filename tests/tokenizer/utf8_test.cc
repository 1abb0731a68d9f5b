// Lossy UTF-8 decoding against CPython 3.11's bytes.decode('utf-8', errors='replace'); the
// expected strings were produced by that call.
#include <gtest/gtest.h>

#include <string>

#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

const std::string R(kReplacementChar);

TEST(TokenizerUtf8, SanitizeMatchesPythonReplace) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"", ""},
      {"plain ascii", "plain ascii"},
      {"\xE4\xBD", R},              // truncated 3-byte sequence: one subpart
      {"\xED\xA0\x80", R + R + R},  // surrogate: ED alone, then two strays
      {"\xF0\x9F\x98", R},          // truncated emoji
      {"\xC0\xAF", R + R},          // overlong lead never starts a character
      {"\xFF", R},
      {"a\xE4\xBD"
       "b",
       "a" + R + "b"},
      {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
      {"\xE0\x80\x80", R + R + R},          // overlong 3-byte
      {"\xF4\x90\x80\x80", R + R + R + R},  // above U+10FFFF
      {"\xE4\xBD\xE4\xBD\xA0", R + "\xE4\xBD\xA0"},
      {"\x80\x80", R + R},
      {"\xF8\x88\x80\x80\x80", R + R + R + R + R},
      {std::string("a\0b", 3), std::string("a\0b", 3)},  // NUL is valid UTF-8
  };
  for (const Case& c : cases) {
    EXPECT_EQ(utf8_sanitize(c.in), c.out) << "input bytes: " << c.in.size();
    EXPECT_EQ(utf8_is_valid(c.in), c.in == c.out);
  }
}

TEST(TokenizerUtf8, StreamingPrefixHoldsOnlyCompletableTails) {
  std::string out;
  EXPECT_EQ(utf8_decode_lossy_prefix("ab\xE4\xBD", out), 2u);  // E4 BD may still complete
  EXPECT_EQ(out, "ab");
  out.clear();
  EXPECT_EQ(utf8_decode_lossy_prefix("ab\xE4"
                                     "c",
                                     out),
            4u);  // E4 then 'c': decided
  EXPECT_EQ(out, "ab" + R + "c");
  out.clear();
  EXPECT_EQ(utf8_decode_lossy_prefix("\xC0", out), 1u);  // C0 can never start a character
  EXPECT_EQ(out, R);
}

TEST(TokenizerUtf8, EveryByteSplitComposes) {
  // Decoding in two pieces, carrying the unconsumed tail, equals decoding at once.
  const std::string input = "h\xC3\xA9llo \xF0\x9F\x98\x80\xE4\xBD\xFF\xED\xA0\x80 \xE4\xBD\xA0!";
  const std::string whole = utf8_sanitize(input);
  for (size_t k = 0; k <= input.size(); ++k) {
    std::string out;
    const size_t used = utf8_decode_lossy_prefix(input.substr(0, k), out);
    out += utf8_sanitize(input.substr(used));
    EXPECT_EQ(out, whole) << "split at " << k;
  }
}

}  // namespace
}  // namespace junction::tokenizer
