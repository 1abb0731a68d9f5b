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
