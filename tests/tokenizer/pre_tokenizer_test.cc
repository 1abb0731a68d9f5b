// Pre-tokenizer splitting rules. Expected pieces come from the HF documentation of
// SplitDelimiterBehavior ("the-final--countdown" example) and, for the Llama 3 regex, from
// working the pattern through by hand (comments show the alternative that matches).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/pre_tokenizer.h"

namespace junction::tokenizer {
namespace {

using Strings = std::vector<std::string>;

Strings run(const nlohmann::json& config, const std::string& text) {
  const auto pre = make_pre_tokenizer(config, "test");
  std::vector<Piece> pieces{{text, true}};
  pre->pre_tokenize(pieces);
  Strings out;
  for (const Piece& p : pieces) out.push_back(p.text);
  return out;
}

nlohmann::json split(const std::string& behavior) {
  return {
      {"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", false}};
}

TEST(PreTokenizer, SplitBehaviorsMatchHfDocs) {
  const std::string text = "the-final--countdown";
  EXPECT_EQ(run(split("Removed"), text), (Strings{"the", "final", "countdown"}));
  EXPECT_EQ(run(split("Isolated"), text), (Strings{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(run(split("MergedWithPrevious"), text), (Strings{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(run(split("MergedWithNext"), text), (Strings{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(run(split("Contiguous"), text), (Strings{"the", "-", "final", "--", "countdown"}));
}

TEST(PreTokenizer, Llama3RegexWithByteLevel) {
  const nlohmann::json config = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"},
         {"pattern",
          {{"Regex",
            R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
         {"behavior", "Isolated"},
         {"invert", false}},
        {{"type", "ByteLevel"},
         {"add_prefix_space", false},
         {"trim_offsets", true},
         {"use_regex", false}}}}};
  // "Hello" and " world": [^\r\n\p{L}\p{N}]?\p{L}+; " " before a digit: only \s+ matches;
  // digits in groups of three: \p{N}{1,3}; "'t": the contraction group; "\n\n": \s*[\r\n]+
  // backtracks to stop before the spaces; "  x": \s+(?!\S) takes one space, " x" is a word.
  // ByteLevel then shows space as "Ġ" (U+0120) and newline as "Ċ" (U+010A).
  EXPECT_EQ(run(config, "Hello world 1234567 don't\n\n  x"),
            (Strings{"Hello", "\xC4\xA0world", "\xC4\xA0", "123", "456", "7",
                     "\xC4\xA0"
                     "don",
                     "'t", "\xC4\x8A\xC4\x8A", "\xC4\xA0", "\xC4\xA0x"}));
}

TEST(PreTokenizer, MetaspaceSplitAndPrependSchemes) {
  const std::string sp = "\xE2\x96\x81";  // ▁
  const nlohmann::json always = {
      {"type", "Metaspace"}, {"replacement", sp}, {"prepend_scheme", "always"}, {"split", true}};
  // HF metaspace.rs test "Hey   friend!": spaces become ▁, then split MergedWithNext.
  EXPECT_EQ(run(always, "Hey   friend!"), (Strings{sp + "Hey", sp, sp, sp + "friend!"}));
  nlohmann::json never = always;
  never["prepend_scheme"] = "never";
  EXPECT_EQ(run(never, "Hey friend"), (Strings{"Hey", sp + "friend"}));
}

TEST(PreTokenizer, DigitsAndWhitespace) {
  EXPECT_EQ(run({{"type", "Digits"}, {"individual_digits", true}}, "a123b"),
            (Strings{"a", "1", "2", "3", "b"}));
  EXPECT_EQ(run({{"type", "Digits"}, {"individual_digits", false}}, "a123b"),
            (Strings{"a", "123", "b"}));
  // HF Whitespace: \w+|[^\w\s]+ kept, whitespace dropped.
  EXPECT_EQ(run({{"type", "Whitespace"}}, "Hey man!! ok"), (Strings{"Hey", "man", "!!", "ok"}));
  EXPECT_EQ(run({{"type", "WhitespaceSplit"}}, " a\tb  c "), (Strings{"a", "b", "c"}));
}

}  // namespace
}  // namespace junction::tokenizer
