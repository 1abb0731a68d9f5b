// Error bodies in the shape of Anthropic's errors reference, types per HTTP status as listed.
#include "api/messages_error.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace junction::api {
namespace {

using Json = nlohmann::json;

TEST(MessagesError, TypesFollowTheDocumentedStatusTable) {
  EXPECT_EQ(messages_error_type(400), "invalid_request_error");
  EXPECT_EQ(messages_error_type(401), "authentication_error");
  EXPECT_EQ(messages_error_type(402), "billing_error");
  EXPECT_EQ(messages_error_type(403), "permission_error");
  EXPECT_EQ(messages_error_type(404), "not_found_error");
  EXPECT_EQ(messages_error_type(413), "request_too_large");
  EXPECT_EQ(messages_error_type(429), "rate_limit_error");
  EXPECT_EQ(messages_error_type(500), "api_error");
  EXPECT_EQ(messages_error_type(529), "overloaded_error");
}

TEST(MessagesError, AnOpenAiErrorBodyKeepsItsMessage) {
  const Json j = Json::parse(messages_error_from_openai(
      402, R"({"error":{"message":"Insufficient credit","type":"insufficient_quota"}})"));
  EXPECT_EQ(j, Json::parse(R"({"type":"error","error":{"type":"billing_error",
                               "message":"Insufficient credit"}})"));
}

TEST(MessagesError, ABodyThatIsNoErrorObjectBecomesTheMessage) {
  const Json j = Json::parse(messages_error_from_openai(502, "bad gateway"));
  EXPECT_EQ(j["error"]["type"], "api_error");
  EXPECT_EQ(j["error"]["message"], "bad gateway");
}

TEST(MessagesError, AnApiErrorUsesItsStatusAndText) {
  const Json j = Json::parse(messages_error_json(http::invalid_param("max_tokens", "too big")));
  EXPECT_EQ(j["type"], "error");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["message"], "too big");
}

TEST(MessagesError, AnApiErrorCarryingABodyAnswersIt) {
  // What the gateway sets on a Messages request refused at its head (before its body is read).
  http::ApiError e(401, "Invalid API key", "authentication_error");
  e.body = messages_error_json(e);
  EXPECT_EQ(Json::parse(e.to_json()), Json::parse(R"({"type":"error","error":{
      "type":"authentication_error","message":"Invalid API key"}})"));
}

}  // namespace
}  // namespace junction::api
