// The nesting bound on JSON from outside: hostile depth refused in one linear scan without a
// crash, depth at the limit accepted, brackets inside strings not counted.
#include "core/json_depth.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/error.h"

namespace junction {
namespace {

std::string arrays(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::string objects(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  s += std::string(depth, '}');
  return s;
}

TEST(JsonDepth, FourHundredThousandNestedArraysOrObjectsAreRefusedQuickly) {
  const auto t0 = std::chrono::steady_clock::now();
  for (const std::string& text : {arrays(400'000), objects(400'000)}) {
    EXPECT_TRUE(json_deeper_than(text));
    EXPECT_TRUE(parse_json(text).is_discarded());
    EXPECT_TRUE(parse_json<nlohmann::ordered_json>(text).is_discarded());
    EXPECT_THROW(check_json_depth(text, "x.json"), Error);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(JsonDepth, DepthExactlyAtTheLimitIsAccepted) {
  EXPECT_FALSE(json_deeper_than(arrays(kMaxJsonDepth)));
  EXPECT_TRUE(json_deeper_than(arrays(kMaxJsonDepth + 1)));
  EXPECT_FALSE(json_deeper_than(objects(kMaxJsonDepth)));
  EXPECT_TRUE(json_deeper_than(objects(kMaxJsonDepth + 1)));
  const nlohmann::json at_limit = parse_json(arrays(kMaxJsonDepth));
  ASSERT_FALSE(at_limit.is_discarded());
  EXPECT_EQ(at_limit.dump(), arrays(kMaxJsonDepth));
  EXPECT_NO_THROW(check_json_depth(objects(kMaxJsonDepth), "x.json"));
  EXPECT_FALSE(json_deeper_than("[[1]]", 2));
  EXPECT_TRUE(json_deeper_than("[[[1]]]", 2));
}

TEST(JsonDepth, SiblingsDoNotAddUp) {
  std::string many = "[";
  for (int i = 0; i < 10'000; ++i) {
    if (i > 0) many += ',';
    many += arrays(kMaxJsonDepth - 1);
  }
  many += "]";
  EXPECT_FALSE(json_deeper_than(many));
  EXPECT_FALSE(parse_json(many).is_discarded());
}

TEST(JsonDepth, BracketsInsideStringsDoNotCount) {
  const std::string deep_string = "\"" + arrays(400'000) + "\"";
  EXPECT_FALSE(json_deeper_than(deep_string));
  EXPECT_EQ(parse_json(deep_string).get<std::string>().size(), 800'000u);
  // An escaped quote does not end the string; an escaped backslash before a quote does.
  EXPECT_FALSE(json_deeper_than(R"(["\"[[[[", "[[[["])", 1));
  EXPECT_TRUE(json_deeper_than(R"(["\\", [[1]]])", 2));
  EXPECT_FALSE(json_deeper_than(R"({"k\\\"[[": "\u005b[{"})", 1));
}

TEST(JsonDepth, InvalidJsonIsDiscardedNotThrown) {
  EXPECT_TRUE(parse_json("{").is_discarded());
  EXPECT_TRUE(parse_json("]]]][[[[").is_discarded());
  EXPECT_TRUE(parse_json("").is_discarded());
  EXPECT_EQ(parse_json(R"({"a": [1, {"b": "]"}]})")["a"][1]["b"], "]");
}

}  // namespace
}  // namespace junction
