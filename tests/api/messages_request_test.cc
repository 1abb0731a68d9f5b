// Messages requests (the shapes of Anthropic's Messages reference: system, content blocks,
// tool_use / tool_result, thinking, tool_choice) -> the chat requests written by hand from
// OpenAI's Chat Completions reference.
#include "api/messages_request.h"

#include <gtest/gtest.h>

#include "http/api_error.h"

namespace junction::api {
namespace {

using Json = nlohmann::ordered_json;

Json chat(std::string_view body, MessagesEndpoint e = MessagesEndpoint::kMessages) {
  return parse_messages_request(body, e);
}

// The ApiError a body is refused with.
http::ApiError refusal(std::string_view body) {
  try {
    chat(body);
  } catch (const http::ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return http::ApiError(0, "");
}

TEST(MessagesRequest, APlainRequestBecomesAChatRequest) {
  const Json c = chat(R"({"model":"m","max_tokens":64,"system":"Be brief.",
      "messages":[{"role":"user","content":"Hello"}],"temperature":0.5,"top_p":0.9,"top_k":40,
      "stop_sequences":["END"],"metadata":{"user_id":"u-1"}})");
  EXPECT_EQ(c, Json::parse(R"({"model":"m","messages":[{"role":"system","content":"Be brief."},
      {"role":"user","content":"Hello"}],"max_tokens":64,"temperature":0.5,"top_p":0.9,
      "top_k":40,"stop":["END"],"user":"u-1"})"));
}

TEST(MessagesRequest, AStreamAsksForTheUsageChunk) {
  const Json c = chat(R"({"model":"m","max_tokens":8,"stream":true,
      "messages":[{"role":"user","content":"Hi"}]})");
  EXPECT_EQ(c["stream"], true);
  EXPECT_EQ(c["stream_options"], Json::parse(R"({"include_usage":true})"));
}

TEST(MessagesRequest, SystemBlocksAndTextBlocksAreJoined) {
  const Json c = chat(R"({"model":"m","max_tokens":8,
      "system":[{"type":"text","text":"A"},{"type":"text","text":"B","cache_control":{"type":"ephemeral"}}],
      "messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"text","text":"y"}]}]})");
  EXPECT_EQ(c["messages"][0], Json::parse(R"({"role":"system","content":"A\nB"})"));
  EXPECT_EQ(c["messages"][1], Json::parse(R"({"role":"user","content":"x\ny"})"));
}

TEST(MessagesRequest, AToolRoundTripFromTheToolUseGuide) {
  const Json c = chat(R"({"model":"m","max_tokens":1024,
    "tools":[{"name":"get_weather","description":"Get the current weather in a given location",
              "input_schema":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}],
    "tool_choice":{"type":"any","disable_parallel_tool_use":true},
    "messages":[
      {"role":"user","content":"What's the weather like in San Francisco?"},
      {"role":"assistant","content":[
        {"type":"thinking","thinking":"Use the tool.","signature":"sig1"},
        {"type":"text","text":"I'll check."},
        {"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"location":"San Francisco, CA"}}]},
      {"role":"user","content":[
        {"type":"tool_result","tool_use_id":"toolu_01A","content":"15 degrees"},
        {"type":"text","text":"Thanks"}]}]})");
  EXPECT_EQ(c["tools"], Json::parse(R"([{"type":"function","function":{"name":"get_weather",
      "description":"Get the current weather in a given location",
      "parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}])"));
  EXPECT_EQ(c["tool_choice"], "required");
  EXPECT_EQ(c["parallel_tool_calls"], false);
  const Json& m = c["messages"];
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1], Json::parse(R"({"role":"assistant","content":"I'll check.",
      "reasoning_content":"Use the tool.",
      "reasoning_details":[{"type":"reasoning.text","text":"Use the tool.","signature":"sig1",
                            "format":"anthropic-claude-v1","index":0}],
      "tool_calls":[{"id":"toolu_01A","type":"function","function":{"name":"get_weather",
                     "arguments":"{\"location\":\"San Francisco, CA\"}"}}]})"));
  EXPECT_EQ(m[2],
            Json::parse(R"({"role":"tool","tool_call_id":"toolu_01A","content":"15 degrees"})"));
  EXPECT_EQ(m[3], Json::parse(R"({"role":"user","content":"Thanks"})"));
}

TEST(MessagesRequest, ToolChoicesMapToTheirChatNames) {
  const auto choice = [](const char* tc) {
    return chat(
        std::string(
            R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"}],"tool_choice":)") +
        tc + "}")["tool_choice"];
  };
  EXPECT_EQ(choice(R"({"type":"auto"})"), "auto");
  EXPECT_EQ(choice(R"({"type":"none"})"), "none");
  EXPECT_EQ(choice(R"({"type":"tool","name":"f"})"),
            Json::parse(R"({"type":"function","function":{"name":"f"}})"));
}

TEST(MessagesRequest, AnImageBecomesAnImageUrlPart) {
  const Json c = chat(R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":[
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}},
      {"type":"text","text":"What is this?"}]}]})");
  EXPECT_EQ(c["messages"][0]["content"], Json::parse(R"([
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}},
      {"type":"text","text":"What is this?"}])"));
}

TEST(MessagesRequest, ThinkingPassesThrough) {
  const Json c =
      chat(R"({"model":"m","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},
      "messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(c["thinking"], Json::parse(R"({"type":"enabled","budget_tokens":1024})"));
}

TEST(MessagesRequest, RedactedThinkingIsAnEncryptedDetail) {
  const Json c = chat(R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"},
      {"role":"assistant","content":[{"type":"redacted_thinking","data":"EnCr"},{"type":"text","text":"ok"}]},
      {"role":"user","content":"y"}]})");
  EXPECT_EQ(c["messages"][1]["reasoning_details"], Json::parse(R"([{"type":"reasoning.encrypted",
      "data":"EnCr","format":"anthropic-claude-v1","index":0}])"));
}

TEST(MessagesRequest, CountTokensNeedsNoMaxTokens) {
  const Json c = chat(R"({"model":"m","messages":[{"role":"user","content":"x"}]})",
                      MessagesEndpoint::kCountTokens);
  EXPECT_FALSE(c.contains("max_tokens"));
  EXPECT_EQ(c["messages"].size(), 1u);
}

TEST(MessagesRequest, MalformedBodiesAreRefusedNamingTheField) {
  EXPECT_EQ(refusal("{").status, 400);
  EXPECT_EQ(refusal("[]").status, 400);
  EXPECT_EQ(refusal(R"({"max_tokens":8,"messages":[{"role":"user","content":"x"}]})").param,
            "model");
  EXPECT_EQ(refusal(R"({"model":"m","messages":[{"role":"user","content":"x"}]})").param,
            "max_tokens");
  EXPECT_EQ(
      refusal(R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})").param,
      "max_tokens");
  EXPECT_EQ(refusal(R"({"model":"m","max_tokens":8,"messages":[]})").param, "messages");
  EXPECT_EQ(
      refusal(R"({"model":"m","max_tokens":8,"messages":[{"role":"system","content":"x"}]})").param,
      "messages.0.role");
  EXPECT_EQ(
      refusal(R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":5}]})").param,
      "messages.0.content");
  EXPECT_EQ(
      refusal(
          R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":[{"type":"document"}]}]})")
          .param,
      "messages.0.content.0.type");
  EXPECT_EQ(
      refusal(
          R"({"model":"m","max_tokens":8,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":"x"}]}]})")
          .param,
      "messages.0.content.0.input");
  EXPECT_EQ(
      refusal(
          R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]})")
          .param,
      "tools.0.type");
  EXPECT_EQ(
      refusal(
          R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"maybe"}})")
          .param,
      "tool_choice.type");
  EXPECT_EQ(
      refusal(
          R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"lots"}})")
          .param,
      "thinking.type");
  EXPECT_EQ(refusal(R"({"model":"m","max_tokens":8,"max_tokens":9,"messages":[]})").code,
            "duplicate_key");
  EXPECT_EQ(refusal(std::string(10000, '[')).code, "json_too_deep");
}

}  // namespace
}  // namespace junction::api
