// Chat completions -> Messages answers. Hand-written chat answers in OpenAI's reference shape
// with the Messages answers written from Anthropic's reference, and the gateway's recorded
// Anthropic answers (tests/gateway/data) taken to chat by the gateway's translation and back,
// which must give the recording again.
#include "api/messages_response.h"

#include <gtest/gtest.h>

#include "gateway/anthropic_response.h"
#include "messages_test_util.h"

namespace junction::api {
namespace {

using test::Json;

Json round_trip(const std::string& file) {
  const auto recorded =
      nlohmann::json::parse(test::read_file(std::string(GATEWAY_TEST_DATA) + "/" + file));
  const auto chat = gateway::openai_completion_from_anthropic(recorded, 1700000000);
  return message_from_chat(Json::parse(chat.dump()));
}

void expect_same_message(const std::string& file) {
  const Json recorded = Json::parse(test::read_file(std::string(GATEWAY_TEST_DATA) + "/" + file));
  const Json back = round_trip(file);
  EXPECT_EQ(back["type"], "message");
  EXPECT_EQ(back["role"], "assistant");
  EXPECT_EQ(back["model"], recorded["model"]);
  EXPECT_EQ(back["content"], recorded["content"]);
  EXPECT_EQ(back["stop_reason"], recorded["stop_reason"]);
  EXPECT_EQ(back["usage"], recorded["usage"]);
}

TEST(MessagesResponse, ARecordedToolUseAnswerSurvivesTheRoundTrip) {
  expect_same_message("anthropic_tool_use.json");
}

TEST(MessagesResponse, ARecordedThinkingAnswerKeepsItsSignature) {
  expect_same_message("anthropic_thinking.json");
}

TEST(MessagesResponse, CachedPromptTokensAreCacheReads) {
  // anthropic_message.json: 12 input + 8 cache-read tokens, 10 output.
  const Json back = round_trip("anthropic_message.json");
  EXPECT_EQ(back["usage"], Json::parse(R"({"input_tokens":12,"cache_creation_input_tokens":0,
      "cache_read_input_tokens":8,"output_tokens":10})"));
}

TEST(MessagesResponse, AnEngineAnswerWithReasoningAndAToolCall) {
  const Json chat = Json::parse(R"({"id":"chatcmpl-abc","object":"chat.completion","created":1,
    "model":"e2e-model","choices":[{"index":0,"message":{"role":"assistant","content":"Sure.",
    "reasoning_content":"think","tool_calls":[{"id":"call_1","type":"function","function":
    {"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],
    "usage":{"prompt_tokens":20,"completion_tokens":7,"total_tokens":27}})");
  EXPECT_EQ(message_from_chat(chat), Json::parse(R"({"id":"msg_abc","type":"message",
    "role":"assistant","model":"e2e-model","content":[
      {"type":"thinking","thinking":"think","signature":""},
      {"type":"text","text":"Sure."},
      {"type":"tool_use","id":"call_1","name":"get_weather","input":{"location":"Paris"}}],
    "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":20,
    "cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":7}})"));
}

TEST(MessagesResponse, FinishReasonsMapToStopReasons) {
  EXPECT_EQ(stop_reason("stop"), "end_turn");
  EXPECT_EQ(stop_reason("length"), "max_tokens");
  EXPECT_EQ(stop_reason("tool_calls"), "tool_use");
  EXPECT_EQ(stop_reason("content_filter"), "refusal");
  EXPECT_TRUE(stop_reason(nullptr).is_null());
}

TEST(MessagesResponse, MalformedToolArgumentsAreKeptAsText) {
  const Json chat = Json::parse(R"({"id":"x","model":"m","choices":[{"message":{"content":null,
    "tool_calls":[{"id":"c","function":{"name":"f","arguments":"{not json"}}]},
    "finish_reason":"tool_calls"}]})");
  EXPECT_EQ(message_from_chat(chat)["content"][0]["input"],
            Json::parse(R"({"arguments":"{not json"})"));
}

TEST(MessagesResponse, AnAnswerWithoutOneChoiceIsRefused) {
  EXPECT_THROW(message_from_chat(Json::parse(R"({"choices":[]})")), std::runtime_error);
  EXPECT_THROW(message_from_chat(Json::parse(R"([1])")), std::runtime_error);
  EXPECT_THROW(message_from_chat(Json::parse(R"({"choices":[{"message":3}]})")),
               std::runtime_error);
}

}  // namespace
}  // namespace junction::api
