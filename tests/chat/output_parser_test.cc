// Reasoning and tool-call parsing of model output, whole and streaming. Streaming is checked at
// every split point of each sample and at random multi-splits: the deltas must add up to the
// whole-text parse, which must equal the expected message written out by hand.
#include <gtest/gtest.h>

#include <random>

#include "chat/output_parser.h"

namespace junction::chat {
namespace {

ChatParserOptions options(bool reasoning = true, bool starts_in_reasoning = false) {
  ChatParserOptions o;
  o.reasoning.enabled = reasoning;
  o.reasoning.starts_in_reasoning = starts_in_reasoning;
  auto counter = std::make_shared<int>(0);
  o.tools.id_source = [counter] { return "call_" + std::to_string((*counter)++); };
  return o;
}

ParsedMessage stream(std::string_view text, const std::vector<size_t>& cuts,
                     const ChatParserOptions& o) {
  ChatOutputParser parser(o);
  ParsedMessage m;
  size_t prev = 0;
  for (size_t c : cuts) {
    apply_delta(m, parser.feed(text.substr(prev, c - prev)));
    prev = c;
  }
  apply_delta(m, parser.feed(text.substr(prev)));
  apply_delta(m, parser.finish());
  return m;
}

std::string show(const ParsedMessage& m) {
  std::string s = "reasoning=[" + m.reasoning_content + "] content=[" + m.content + "] calls=";
  for (const auto& c : m.tool_calls) s += "{" + c.id + "," + c.name + "," + c.arguments + "}";
  return s;
}

struct Sample {
  const char* name;
  std::string text;
  bool reasoning;
  bool starts_in_reasoning;
  ParsedMessage expected;
};

ToolCall call(std::string id, std::string name, std::string args) {
  return ToolCall{std::move(id), std::move(name), std::move(args)};
}

std::vector<Sample> samples() {
  return {
      {"qwen3_thinking",
       "<think>\nLet me add.\n2+2=4\n</think>\n\nThe answer is 4.",
       true,
       false,
       {"Let me add.\n2+2=4", "The answer is 4.", {}}},
      {"prompt_opened_think",
       "Okay, the user greets me.\n</think>\n\nHello!",
       true,
       true,
       {"Okay, the user greets me.", "Hello!", {}}},
      {"cut_thought",
       "<think>\nStill thinking about </th",
       true,
       false,
       {"Still thinking about </th", "", {}}},
      {"cut_thought_prompt_opened", "I wonder  \n", true, true, {"I wonder", "", {}}},
      {"no_think_tag",
       "Just an answer, no <think> here.",
       true,
       false,
       {"", "Just an answer, no <think> here.", {}}},
      {"thinking_disabled",
       "<think>x</think>\n\ny",
       false,
       false,
       {"", "<think>x</think>\n\ny", {}}},
      {"empty_think", "<think>\n\n</think>\n\nDirect.", true, false, {"", "Direct.", {}}},
      {"hermes_two_calls",
       "<think>\nNeed weather.\n</think>\n\nLet me check.\n<tool_call>\n{\"name\": "
       "\"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\", \"unit\": "
       "\"celsius\"}}\n</tool_call>",
       true,
       false,
       {"Need weather.",
        "Let me check.",
        {call("call_0", "get_weather", "{\"city\":\"Paris\"}"),
         call("call_1", "get_weather", "{\"city\":\"Rome\",\"unit\":\"celsius\"}")}}},
      {"hermes_string_arguments",
       "<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}</tool_call>",
       false,
       false,
       {"", "", {call("call_0", "f", "{\"a\":1}")}}},
      {"deepseek_fenced",
       "<think>\nhmm\n</"
       "think>\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```"
       "json\n{\"city\":\"Paris\"}\n```<｜tool▁call▁end｜>\n"
       "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": "
       "\"Rome\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
       true,
       false,
       {"hmm",
        "",
        {call("call_0", "get_weather", "{\"city\":\"Paris\"}"),
         call("call_1", "get_weather", "{\"city\":\"Rome\"}")}}},
      {"deepseek_r1_0528_plain",
       "Checking.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"tz\": "
       "\"UTC\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
       true,
       false,
       {"", "Checking.", {call("call_0", "get_time", "{\"tz\":\"UTC\"}")}}},
      {"deepseek_bare_call",
       "<｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{}<｜tool▁call▁end｜>",
       true,
       false,
       {"", "", {call("call_0", "get_time", "{}")}}},
      {"malformed_hermes",
       "Hi\n<tool_call>\n{not json}\n</tool_call> bye",
       true,
       false,
       {"", "Hi\n<tool_call>\n{not json}\n</tool_call> bye", {}}},
      {"malformed_then_good",
       "<tool_call>{\"x\": 1}</tool_call><tool_call>{\"name\": \"g\"}</tool_call>",
       true,
       false,
       {"", "<tool_call>{\"x\": 1}</tool_call>", {call("call_0", "g", "{}")}}},
      {"unterminated_call",
       "Sure <tool_call>{\"name\": \"f\"",
       true,
       false,
       {"", "Sure <tool_call>{\"name\": \"f\"", {}}},
      {"malformed_deepseek",
       "A "
       "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{bad\n```<"
       "｜tool▁call▁end｜><｜tool▁calls▁end｜>",
       true,
       false,
       {"",
        "A "
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{bad\n```<"
        "｜tool▁call▁end｜>",
        {}}},
      {"angle_brackets",
       "a < b, <tool and <thinking> x</think",
       true,
       false,
       {"", "a < b, <tool and <thinking> x</think", {}}},
      {"unicode_partial_tag_at_end", "你好 <｜tool", true, false, {"", "你好 <｜tool", {}}},
      {"content_after_calls",
       "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>\n\nDone.",
       true,
       false,
       {"", "Done.", {call("call_0", "f", "{}")}}},
  };
}

TEST(OutputParser, WholeTextMatchesExpected) {
  for (const Sample& s : samples()) {
    SCOPED_TRACE(s.name);
    ParsedMessage got = parse_chat_output(s.text, options(s.reasoning, s.starts_in_reasoning));
    EXPECT_EQ(got, s.expected) << show(got);
  }
}

TEST(OutputParser, EverySplitPointMatchesWholeParse) {
  for (const Sample& s : samples()) {
    SCOPED_TRACE(s.name);
    for (size_t i = 0; i <= s.text.size(); ++i) {
      ParsedMessage got = stream(s.text, {i}, options(s.reasoning, s.starts_in_reasoning));
      ASSERT_EQ(got, s.expected) << "split at " << i << ": " << show(got);
    }
  }
}

TEST(OutputParser, RandomMultiSplitsMatchWholeParse) {
  std::mt19937 rng(1234);
  for (const Sample& s : samples()) {
    SCOPED_TRACE(s.name);
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<size_t> cuts;
      int n = 1 + static_cast<int>(rng() % 12);
      for (int k = 0; k < n; ++k) cuts.push_back(rng() % (s.text.size() + 1));
      std::sort(cuts.begin(), cuts.end());
      ParsedMessage got = stream(s.text, cuts, options(s.reasoning, s.starts_in_reasoning));
      ASSERT_EQ(got, s.expected) << "trial " << trial << ": " << show(got);
    }
  }
}

TEST(OutputParser, ByteByByteMatchesWholeParse) {
  for (const Sample& s : samples()) {
    SCOPED_TRACE(s.name);
    std::vector<size_t> cuts;
    for (size_t i = 1; i < s.text.size(); ++i) cuts.push_back(i);
    EXPECT_EQ(stream(s.text, cuts, options(s.reasoning, s.starts_in_reasoning)), s.expected);
  }
}

TEST(OutputParser, HoldsBackPossibleTagStarts) {
  ChatOutputParser p(options());
  EXPECT_TRUE(p.feed("<thi").empty());
  ChatDelta d = p.feed("nk>\nabc</thi");
  EXPECT_EQ(d.reasoning_content, "abc");
  EXPECT_TRUE(p.feed("nk>").empty());
  d = p.feed("\n\nHello <tool_c");
  EXPECT_EQ(d.content, "Hello");
  d = p.feed("x> more");
  EXPECT_EQ(d.content, " <tool_cx> more");
  d = p.feed(" <tool_call>{\"name\": \"f\", \"arguments\": {\"a\": [1, 2]}}</tool_call>");
  ASSERT_EQ(d.tool_calls.size(), 1u);
  EXPECT_EQ(d.tool_calls[0].index, 0);
  EXPECT_EQ(d.tool_calls[0].call.name, "f");
  EXPECT_EQ(d.tool_calls[0].call.arguments, "{\"a\":[1,2]}");
  EXPECT_TRUE(p.finish().empty());
}

TEST(OutputParser, DefaultIdsAreDistinctCallIds) {
  ParsedMessage m = parse_chat_output(
      "<tool_call>{\"name\": \"f\"}</tool_call><tool_call>{\"name\": \"g\"}</tool_call>");
  ASSERT_EQ(m.tool_calls.size(), 2u);
  EXPECT_EQ(m.tool_calls[0].id.rfind("call_", 0), 0u);
  EXPECT_EQ(m.tool_calls[0].id.size(), 29u);
  EXPECT_NE(m.tool_calls[0].id, m.tool_calls[1].id);
}

TEST(OutputParser, FormatsCanBeTurnedOff) {
  ChatParserOptions o = options();
  o.tools.hermes = false;
  ParsedMessage m = parse_chat_output("<tool_call>{\"name\": \"f\"}</tool_call>", o);
  EXPECT_EQ(m.content, "<tool_call>{\"name\": \"f\"}</tool_call>");
  EXPECT_TRUE(m.tool_calls.empty());
}

TEST(ToolCallBodies, DeepSeekVariants) {
  std::string name, args;
  EXPECT_TRUE(parse_deepseek_call("function<｜tool▁sep｜>f\n```json\n{\"a\": 1}\n```", name, args));
  EXPECT_EQ(name, "f");
  EXPECT_EQ(args, "{\"a\":1}");
  EXPECT_TRUE(parse_deepseek_call("f<｜tool▁sep｜>{\"a\": 2}", name, args));
  EXPECT_EQ(args, "{\"a\":2}");
  EXPECT_FALSE(parse_deepseek_call("f {\"a\": 2}", name, args));
  EXPECT_FALSE(parse_deepseek_call("function<｜tool▁sep｜>f\n```json\n[1]\n```", name, args));
  EXPECT_FALSE(parse_hermes_call("{\"arguments\": {}}", name, args));
  EXPECT_FALSE(parse_hermes_call("{\"name\": \"f\", \"arguments\": 3}", name, args));
}

}  // namespace
}  // namespace junction::chat
