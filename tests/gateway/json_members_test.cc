#include "gateway/json_members.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "gateway/request_shape.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::json;

std::string value_of(std::string_view text, const JsonMember& m) {
  return std::string(text.substr(m.value_begin, m.value_end - m.value_begin));
}

TEST(JsonMembers, FindsTopLevelMembersInOrder) {
  const std::string text =
      R"( {"id": "x", "choices": [{"a": {"id": 1}}], "usage" : {"n": -1.5e3}, "k\"q": null} )";
  const auto members = top_level_members(text);
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 4u);
  EXPECT_EQ((*members)[0].key, "id");
  EXPECT_EQ(value_of(text, (*members)[0]), R"("x")");
  EXPECT_EQ((*members)[1].key, "choices");
  EXPECT_EQ(value_of(text, (*members)[1]), R"([{"a": {"id": 1}}])");
  EXPECT_EQ((*members)[2].key, "usage");
  EXPECT_EQ(value_of(text, (*members)[2]), R"({"n": -1.5e3})");
  EXPECT_EQ((*members)[3].key, R"(k\"q)");
  EXPECT_TRUE((*members)[3].key_escaped);
  EXPECT_FALSE((*members)[0].key_escaped);
}

TEST(JsonMembers, RefusesWhatIsNotOneValidObject) {
  for (const char* bad : {"", "{", "{}x", R"({"a":1,})", R"({"a" 1})", R"({"a":01})", R"({"a":1.})",
                          R"({"a":-})", R"({"a":tru})", R"({"a":"\x"})", R"({"a":"\u12G4"})",
                          "{\"a\":\"\x01\"}",              // a control character in a string
                          "{\"a\":\"\xC3\"}",              // a truncated UTF-8 sequence
                          "{\"a\":\"\xC0\xAF\"}",          // an overlong encoding
                          "{\"a\":\"\xED\xA0\x80\"}",      // a UTF-16 surrogate
                          "{\"a\":\"\xF4\x90\x80\x80\"}",  // beyond U+10FFFF
                          R"({"a":[1,2}})", R"({"a":{"b":1]})", R"({"a":1}{"b":2})"}) {
    EXPECT_FALSE(top_level_members(bad)) << bad;
    EXPECT_FALSE(Json::accept(bad)) << "the test's own premise: " << bad;
  }
  for (const char* not_object : {"[]", "\"s\"", "1", "null"})
    EXPECT_FALSE(top_level_members(not_object)) << not_object;
  EXPECT_TRUE(top_level_members("{\"a\":\"h\xC3\xA9llo \xF0\x9F\x98\x80\"}"));
  EXPECT_TRUE(top_level_members(R"({})"));
  EXPECT_EQ(top_level_members(" {} ")->size(), 0u);
  // Nesting beyond the bound is refused rather than recursed into.
  EXPECT_FALSE(
      top_level_members("{\"a\":" + std::string(1000, '[') + std::string(1000, ']') + "}"));
}

TEST(JsonMembers, EditsReplaceRemoveAndAppend) {
  const std::string text =
      R"({"id":"up-1", "model" : "gpt-4.1","n":[1, 2],"provider":{},"model":"x"})";
  const auto members = top_level_members(text);
  ASSERT_TRUE(members);
  const std::string out = edit_members(
      text, *members,
      {{"id", R"("gen-1")"}, {"model", R"("m")"}, {"provider", std::nullopt}, {"cost", "0.5"}});
  EXPECT_EQ(out, R"({"id":"gen-1","model":"m","n":[1, 2],"model":"m","cost":0.5})");
  // A removal of a member that is not there adds nothing.
  EXPECT_EQ(edit_members("{}", *top_level_members("{}"), {{"a", std::nullopt}}), "{}");
  EXPECT_EQ(edit_members("{}", *top_level_members("{}"), {{"a", "1"}}), R"({"a":1})");
}

TEST(UpstreamBodyText, EditsTheClientTextLikeTheTree) {
  const std::string body =
      R"({"model":"public","models":["b"],"messages":[{"role":"user","content":"hi"}],)"
      R"("provider":{"order":["a"]},"route":"fallback","transforms":[],"stream":true,)"
      R"("stream_options":{"x":1},"temperature":0.25})";
  const auto text = upstream_body_text(body, "gpt-4.1", true);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text,
            R"({"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"stream":true,)"
            R"("stream_options":{"include_usage":true,"x":1},"temperature":0.25})");
  EXPECT_EQ(Json::parse(*text), Json::parse(upstream_body(Json::parse(body), "gpt-4.1", true)));

  const auto plain = upstream_body_text(R"({"model":"public","messages":[]})", "m\"x", false);
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, R"({"model":"m\"x","messages":[]})");
  const auto added = upstream_body_text(R"({"model":"p","stream":true})", "m", true);
  EXPECT_EQ(*added, R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})");
  // Escaped or duplicated keys where an edit applies: the tree path decides instead.
  EXPECT_FALSE(upstream_body_text(R"({"mod\u0065l":"p"})", "m", false));
  EXPECT_FALSE(upstream_body_text(R"({"stream_options":{},"stream_options":{}})", "m", true));
}

}  // namespace
}  // namespace junction::gateway
