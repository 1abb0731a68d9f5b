#include "engine/json_constraint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace junction {
namespace {

bool accepts(const std::shared_ptr<const JsonSchema>& schema, const std::string& text) {
  JsonMatcher m(schema);
  JsonMatchState s = m.start();
  return m.feed(s, text) && JsonMatcher::complete(s);
}

std::shared_ptr<const JsonSchema> compile(const char* schema) {
  return compile_json_schema(nlohmann::ordered_json::parse(schema));
}

TEST(JsonConstraint, AnyObject) {
  const auto s = any_json_object_schema();
  EXPECT_TRUE(accepts(s, R"({})"));
  EXPECT_TRUE(accepts(s, R"({"a":[1,-2.5e3,true,null,{"b":"\u00e9\n"}],"c":"x"})"));
  EXPECT_FALSE(accepts(s, R"([1])"));
  EXPECT_FALSE(accepts(s, R"({"a":01})"));
  EXPECT_FALSE(accepts(s, R"({"a":1,})"));
  EXPECT_FALSE(accepts(s, "{\"a\":\"\x80\"}"));  // a lone continuation byte
  EXPECT_FALSE(accepts(s, R"({"a":1})"
                          " "));  // nothing after the value
}

TEST(JsonConstraint, SchemaObject) {
  const auto s = compile(R"({"type":"object","properties":{"name":{"type":"string","maxLength":3},
     "age":{"type":"integer"},"ok":{"type":"boolean"},"tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":2},
     "score":{"type":"number"},"nothing":{"type":"null"}},"required":["name"]})");
  EXPECT_TRUE(accepts(
      s, R"({"name":"bob","age":-4,"ok":false,"tags":["a","b"],"score":1.5,"nothing":null})"));
  EXPECT_FALSE(
      accepts(s, R"({"name":"bobby","age":4,"ok":false,"tags":[],"score":1,"nothing":null})"));
  EXPECT_FALSE(
      accepts(s, R"({"name":"b","age":4.5,"ok":false,"tags":[],"score":1,"nothing":null})"));
  EXPECT_FALSE(accepts(
      s, R"({"name":"b","age":4,"ok":false,"tags":["a","b","a"],"score":1,"nothing":null})"));
  EXPECT_FALSE(accepts(s, R"({"age":4})"));
  EXPECT_THROW(compile(R"({"anyOf":[]})"), Error);
  EXPECT_THROW(compile(R"({"type":"string"})"), Error);  // root must be object or array
}

// The byte-level matcher, one construct at a time: these pin each state's accept/reject
// choices so the state machine can be restructured safely.

// Every byte of text is accepted (the value need not be complete yet).
bool feeds(const std::shared_ptr<const JsonSchema>& schema, const std::string& text) {
  JsonMatcher m(schema);
  JsonMatchState s = m.start();
  return m.feed(s, text);
}

TEST(JsonConstraint, StringsTakeEscapesAndWholeUtf8Characters) {
  const auto s = compile(R"({"type":"array","items":{"type":"string"}})");
  EXPECT_TRUE(accepts(s, R"(["a\"b\\c\/d\b\f\n\r\t"])"));
  EXPECT_TRUE(accepts(s, R"(["\u00e9\uABCD"])"));
  EXPECT_TRUE(accepts(s, "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]"));  // 2, 3 and 4 bytes
  EXPECT_FALSE(feeds(s, R"(["\x)"));                                      // unknown escape
  EXPECT_FALSE(feeds(s, R"(["\u00g)"));                                   // not hex
  EXPECT_FALSE(feeds(s, "[\"\x01"));                                      // control byte
  EXPECT_FALSE(feeds(s, "[\"\xc0"));                                      // overlong lead byte
  EXPECT_FALSE(feeds(s, "[\"\xf5"));                                      // beyond U+10FFFF
  EXPECT_FALSE(feeds(s, "[\"\xc3\""));                                    // a character cut short
  EXPECT_FALSE(feeds(s, "[\"\xe2\x82\""));
  EXPECT_FALSE(feeds(s, "[a"));  // a string starts with a quote
  EXPECT_TRUE(feeds(s, R"(["ab)"));
  EXPECT_FALSE(accepts(s, R"(["ab)"));  // not complete yet
}

TEST(JsonConstraint, StringLengthsCountCharactersAndEscapes) {
  const auto s =
      compile(R"({"type":"array","items":{"type":"string","minLength":2,"maxLength":3}})");
  EXPECT_FALSE(accepts(s, R"(["a"])"));
  EXPECT_TRUE(accepts(s, R"(["ab"])"));
  EXPECT_TRUE(accepts(s, R"(["abc"])"));
  EXPECT_FALSE(feeds(s, R"(["abcd)"));
  EXPECT_TRUE(accepts(s, "[\"\xc3\xa9\xc3\xa9\xc3\xa9\"]"));  // 3 characters, 6 bytes
  EXPECT_TRUE(accepts(s, R"(["\n\u00e9x"])"));                // an escape is one character
  EXPECT_FALSE(feeds(s, R"(["\n\u00e9x\t)"));
  EXPECT_FALSE(accepts(s, R"([""])"));
}

TEST(JsonConstraint, NumbersFollowTheJsonGrammar) {
  const auto num = compile(R"({"type":"array","items":{"type":"number"}})");
  for (const char* ok : {"[0]", "[-0]", "[7]", "[-12]", "[0.5]", "[1.25e3]", "[1E+5]", "[1e-5]",
                         "[0e1]", "[1,-2.5,3e0]"})
    EXPECT_TRUE(accepts(num, ok)) << ok;
  for (const char* bad : {"[01]", "[1.]", "[.5]", "[-]", "[1e]", "[1e+]", "[+1]", "[--1]",
                          "[1.5.2]", "[1ee2]", "[-a]"})
    EXPECT_FALSE(accepts(num, bad)) << bad;
  EXPECT_TRUE(accepts(num, "[1234567890123456]"));  // 16 bytes: the longest number
  EXPECT_FALSE(feeds(num, "[12345678901234567"));
  const auto integer = compile(R"({"type":"array","items":{"type":"integer"}})");
  EXPECT_TRUE(accepts(integer, "[-40,0,9]"));
  EXPECT_FALSE(feeds(integer, "[1."));
  EXPECT_FALSE(feeds(integer, "[1e"));
  EXPECT_FALSE(feeds(integer, "[0."));
}

TEST(JsonConstraint, LiteralsMatchTheLongestThenFallBack) {
  // 1 is a prefix of 12: after "1" both stay open until the next byte decides.
  const auto s = compile(R"({"type":"array","items":{"enum":[1,12,"x",true,null]}})");
  EXPECT_TRUE(accepts(s, R"([1,12,"x",true,null])"));
  EXPECT_TRUE(accepts(s, "[12,1]"));
  EXPECT_FALSE(feeds(s, "[123"));
  EXPECT_FALSE(feeds(s, "[2"));
  EXPECT_FALSE(feeds(s, "[tru,"));
  EXPECT_FALSE(feeds(s, "[false"));
  const auto one = compile(R"({"type":"object","properties":{"k":{"const":{"a":[1]}}}})");
  EXPECT_TRUE(accepts(one, R"({"k":{"a":[1]}})"));
  EXPECT_FALSE(feeds(one, R"({"k":{"a":[2)"));
  const auto flags = compile(R"({"type":"array","items":{"type":"boolean"}})");
  EXPECT_TRUE(accepts(flags, "[true,false]"));
  EXPECT_FALSE(feeds(flags, "[null"));
}

TEST(JsonConstraint, ObjectsEmitEveryPropertyInOrder) {
  const auto s = compile(R"({"properties":{"a":{"type":"integer"},"b":{}}})");
  EXPECT_TRUE(accepts(s, R"({"a":1,"b":{"x":[]}})"));
  EXPECT_FALSE(feeds(s, R"({"b")"));     // out of order
  EXPECT_FALSE(feeds(s, R"({"a":1})"));  // b is missing
  EXPECT_FALSE(feeds(s, R"({"a":1,"b":2,)"));
  EXPECT_FALSE(feeds(s, R"( {)"));  // no whitespace
  EXPECT_FALSE(feeds(s, R"({"a" :)"));
}

TEST(JsonConstraint, AnyValuesTakeEveryJsonKind) {
  const auto s = any_json_object_schema();
  EXPECT_TRUE(accepts(s, R"({"a":{},"b":[],"c":"","d":-1,"e":true,"f":false,"g":null})"));
  EXPECT_TRUE(accepts(s, R"({"a":[[],[{}],[1,"x",{"y":[null]}]]})"));
  EXPECT_FALSE(feeds(s, R"({,)"));
  EXPECT_FALSE(feeds(s, R"({a)"));
  EXPECT_FALSE(feeds(s, R"({"a",)"));
  EXPECT_FALSE(feeds(s, R"({"a":x)"));
  EXPECT_FALSE(feeds(s, R"({"a":1,})"));
  EXPECT_FALSE(feeds(s, R"({"a":[1,])"));
  EXPECT_FALSE(feeds(s, R"({"a":[,)"));
  EXPECT_FALSE(feeds(s, R"({"a":tx)"));
  EXPECT_FALSE(feeds(s, R"({"a":1]})"));
}

TEST(JsonConstraint, ArraysCountTheirItems) {
  const auto s =
      compile(R"({"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2})");
  EXPECT_FALSE(accepts(s, "[]"));
  EXPECT_TRUE(accepts(s, "[1]"));
  EXPECT_TRUE(accepts(s, "[1,2]"));
  EXPECT_FALSE(feeds(s, "[1,2,"));
  EXPECT_FALSE(feeds(s, "[1,]"));
  const auto none = compile(R"({"type":"array","maxItems":0})");
  EXPECT_TRUE(accepts(none, "[]"));
  EXPECT_FALSE(feeds(none, "[1"));
  const auto any = compile(R"({"type":"array"})");
  EXPECT_TRUE(accepts(any, R"([1,"a",[],{}])"));
}

TEST(JsonConstraint, NestingStopsAtTheMaximumDepth) {
  const auto s = any_json_object_schema();
  std::string deep = "{";
  for (int i = 0; i < JsonMatchState::kMaxDepth; ++i) deep += "\"a\":{";
  EXPECT_FALSE(feeds(s, deep));
  std::string ok = "{\"a\":[[[[1]]]]}";
  EXPECT_TRUE(accepts(s, ok));
}

TEST(JsonConstraint, NothingFollowsACompleteValue) {
  const auto s = any_json_object_schema();
  EXPECT_FALSE(feeds(s, "{}}"));
  EXPECT_FALSE(feeds(s, "{}x"));
}

TEST(JsonConstraint, SchemaCompilationRefusesWhatItCannotEnforce) {
  EXPECT_THROW(compile(R"({"type":["object","null"]})"), Error);
  EXPECT_THROW(compile(R"({"type":"object","properties":{"a":{"$ref":"#"}}})"), Error);
  EXPECT_THROW(compile(R"({"type":"object","properties":{"a":{"type":"date"}}})"), Error);
  EXPECT_THROW(compile(R"({"type":"array","minItems":-1})"), Error);
  EXPECT_THROW(compile(R"({"type":"array","minItems":3,"maxItems":2})"), Error);
  EXPECT_THROW(compile(R"({"type":"array","items":{"type":"string","minLength":3,"maxLength":2}})"),
               Error);
  EXPECT_THROW(compile(R"({"type":"array","items":{"enum":[]}})"), Error);
  EXPECT_THROW(compile(R"({"type":"object","properties":[1]})"), Error);
  EXPECT_THROW(compile(R"({"type":"array","items":3})"), Error);
  EXPECT_THROW(compile("[]"), Error);
  EXPECT_NO_THROW(compile(R"({"type":"array","items":true})"));
  EXPECT_NO_THROW(compile(R"({})"));  // any value: an object at the root
  std::string many = R"({"type":"array","items":{"enum":[0)";
  for (int i = 1; i < 33; ++i) many += ',' + std::to_string(i);
  EXPECT_THROW(compile((many + "]}}").c_str()), Error);
  std::string nested = "{}";
  for (int i = 0; i < 16; ++i) nested = R"({"type":"array","items":)" + nested + "}";
  EXPECT_NO_THROW(compile(nested.c_str()));
  nested = R"({"type":"array","items":)" + nested + "}";
  EXPECT_THROW(compile(nested.c_str()), Error);  // 17 levels
}

TEST(JsonConstraint, MaskLeadsToValidJson) {
  // A toy vocabulary: greedy decoding under the mask from flat logits must produce valid JSON.
  std::vector<std::string> vocab = {
      "{", "}",    "\"", "name", "\":", ":", "\"a", "1", "2",
      ",", "true", "x",  "]",    "[",   "",  "\"}", "n"};  // single bytes exist, as in byte-level
                                                           // BPE
  auto texts = std::make_shared<TokenTexts>(vocab);
  const int32_t eos = 14;
  const auto schema = compile(
      R"({"type":"object","properties":{"name":{"type":"string","maxLength":2},"n":{"type":"integer"}}})");
  auto c = make_json_constraint(texts, schema, {eos});
  std::string out;
  for (int step = 0; step < 40; ++step) {
    std::vector<float> logits(vocab.size(), 0.0f);
    logits[11] = 5;  // the model "wants" x
    logits[7] = 1;
    c->mask(logits);
    int32_t best = 0;
    for (size_t i = 0; i < logits.size(); ++i)
      if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
    ASSERT_TRUE(std::isfinite(logits[best]));
    if (best == eos) break;
    c->accept(best);
    out += vocab[best];
  }
  const auto parsed = nlohmann::json::parse(out);
  EXPECT_TRUE(parsed["name"].is_string());
  EXPECT_TRUE(parsed["n"].is_number_integer());
}

// A forced tool call: literal text, the JSON, literal text, then only end-of-sequence, even
// when the model prefers something else at every step and a multi-byte token spans the
// prefix and the JSON.
TEST(JsonConstraint, PrefixJsonSuffixThenEndOfSequence) {
  std::vector<std::string> vocab = {
      "<tool_call>", "\n",           "{", "}", "\"",  "name", "\":", "f", "<tool",
      "_call>",      "</tool_call>", "x", "",  "\n{", "<",    ":"};
  auto texts = std::make_shared<TokenTexts>(vocab);
  const int32_t eos = 12;
  const auto schema = compile(R"({"type":"object","properties":{"name":{"const":"f"}}})");
  auto c = make_json_constraint(texts, schema, {eos}, "<tool_call>\n", "\n</tool_call>");
  std::string out;
  bool ended = false;
  for (int step = 0; step < 40 && !ended; ++step) {
    std::vector<float> logits(vocab.size(), 0.0f);
    logits[11] = 9;  // the model "wants" x, then eos, then the multi-byte "\n{"
    logits[eos] = 8;
    logits[13] = 7;
    c->mask(logits);
    int32_t best = 0;
    for (size_t i = 0; i < logits.size(); ++i)
      if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
    ASSERT_TRUE(std::isfinite(logits[best]));
    if (best == eos) {
      ended = true;
      break;
    }
    c->accept(best);
    out += vocab[best];
  }
  EXPECT_TRUE(ended);
  EXPECT_EQ(out, "<tool_call>\n{\"name\":\"f\"}\n</tool_call>");
}

}  // namespace
}  // namespace junction
