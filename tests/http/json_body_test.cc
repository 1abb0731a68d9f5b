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

TEST(JsonBody, ABodyAtTheLimitParsesInEitherTreeType) {
  const std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parse_json_body(at_limit).is_array());
  EXPECT_EQ(parse_json_body<nlohmann::ordered_json>(R"({"b":1,"a":"[[["})").dump(),
            R"({"b":1,"a":"[[["})");
}

}  // namespace
}  // namespace junction::http
