// Request bodies parsed for the server and the gateway: hostile depth and broken JSON are each
// a 400 in OpenAI's shape with their own code.
#include "http/json_body.h"

#include <gtest/gtest.h>

#include <string>

namespace junction::http {
namespace {

ApiError error_of(const std::string& body) {
  try {
    parse_json_body(body);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << body.substr(0, 40);
  return ApiError(0, "");
}

TEST(JsonBody, A400000DeepBodyIsA400JsonTooDeep) {
  const std::string deep = R"({"messages":[{"role":"user","content":"Hi","extra":)" +
                           std::string(400'000, '[') + std::string(400'000, ']') + "}]}";
  const ApiError e = error_of(deep);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.code, "json_too_deep");
  EXPECT_NE(std::string(e.what()).find("128"), std::string::npos) << e.what();
}

TEST(JsonBody, BrokenJsonIsA400InvalidJson) {
  const ApiError e = error_of("{\"model\": ");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "invalid_json");
}

// The gateway forwards bodies byte for byte; a second "max_tokens" or "model" would let the
// gateway bill one value while the upstream reads the other.
TEST(JsonBody, ADuplicatedTopLevelKeyIsA400DuplicateKey) {
  for (const char* body : {R"({"model":"a","max_tokens":5,"max_tokens":100000})",
                           R"({"model":"cheap","messages":[],"model":"dear"})"}) {
    const ApiError e = error_of(body);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_EQ(e.code, "duplicate_key");
  }
  EXPECT_NE(std::string(error_of(R"({"n":1,"n":2})").what()).find("'n'"), std::string::npos);
}

TEST(JsonBody, DuplicatesAreFoundInNestedObjectsInEitherTreeType) {
  const std::string nested =
      R"({"messages":[{"role":"user","content":"a"},{"role":"user","role":"system"}]})";
  EXPECT_EQ(error_of(nested).code, "duplicate_key");
  try {
    parse_json_body<nlohmann::ordered_json>(nested);
    ADD_FAILURE() << "ordered_json accepted a duplicate key";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code, "duplicate_key");
  }
}

TEST(JsonBody, AnEscapedSpellingOfAKeyIsTheSameKey) {
  EXPECT_EQ(error_of(R"({"model":"a","\u006dodel":"b"})").code, "duplicate_key");
}

TEST(JsonBody, TheSameKeyInSiblingOrNestedObjectsIsAllowed) {
  const auto j =
      parse_json_body(R"({"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"x":{"a":1}},"d":{"a":1}})");
  EXPECT_EQ(j["b"][1]["a"], 2);
  EXPECT_EQ(j["d"]["a"], 1);
}

TEST(JsonBody, ABodyAtTheLimitParsesInEitherTreeType) {
  const std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parse_json_body(at_limit).is_array());
  EXPECT_EQ(parse_json_body<nlohmann::ordered_json>(R"({"b":1,"a":"[[["})").dump(),
            R"({"b":1,"a":"[[["})");
}

}  // namespace
}  // namespace junction::http
