// Anthropic Messages answers -> OpenAI chat completions. The inputs are the shapes Anthropic's
// documentation shows (tool use, extended thinking, prompt-caching usage, error shapes); the
// expected OpenAI objects are written by hand.
#include "gateway/anthropic_response.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

using Json = nlohmann::json;

TEST(AnthropicResponse, TextAndUsageWithCacheReads) {
  const Json message = Json::parse(R"({
    "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "Hi! My name is Claude."}],
    "stop_reason": "end_turn", "stop_sequence": null,
    "usage": {"input_tokens": 410, "cache_creation_input_tokens": 100,
              "cache_read_input_tokens": 2000, "output_tokens": 585, "service_tier": "standard"}})");
  EXPECT_EQ(openai_completion_from_anthropic(message, 1700000000), Json::parse(R"({
    "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "object": "chat.completion", "created": 1700000000,
    "model": "claude-sonnet-4-5-20250929",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi! My name is Claude."},
                 "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 2510, "completion_tokens": 585, "total_tokens": 3095,
              "prompt_tokens_details": {"cached_tokens": 2000}}})"));
}

TEST(AnthropicResponse, ToolUseBecomesToolCalls) {
  const Json message = Json::parse(R"({
    "id": "msg_01Aq9w938a90dw8q", "type": "message", "model": "claude-sonnet-4-5",
    "stop_reason": "tool_use", "role": "assistant",
    "content": [
      {"type": "text", "text": "I'll check the current weather in San Francisco for you."},
      {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
       "input": {"location": "San Francisco, CA", "unit": "celsius"}}],
    "usage": {"input_tokens": 472, "output_tokens": 89}})");
  const Json out = openai_completion_from_anthropic(message, 1);
  const Json& choice = out["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_EQ(choice["message"]["content"],
            "I'll check the current weather in San Francisco for you.");
  ASSERT_EQ(choice["message"]["tool_calls"].size(), 1u);
  const Json& call = choice["message"]["tool_calls"][0];
  EXPECT_EQ(call["id"], "toolu_01A09q90qw90lq917835lq9");
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["function"]["name"], "get_weather");
  // Arguments are a JSON string, as OpenAI sends them.
  ASSERT_TRUE(call["function"]["arguments"].is_string());
  EXPECT_EQ(Json::parse(call["function"]["arguments"].get<std::string>()),
            Json::parse(R"({"location": "San Francisco, CA", "unit": "celsius"})"));
  EXPECT_EQ(out["usage"]["prompt_tokens"], 472);
  EXPECT_EQ(out["usage"]["completion_tokens"], 89);
  EXPECT_EQ(out["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
}

TEST(AnthropicResponse, ThinkingBecomesReasoningContentAndToolOnlyHasNullContent) {
  const Json thinking = Json::parse(R"({"type": "message", "stop_reason": "max_tokens",
    "content": [
      {"type": "thinking", "thinking": "Let me analyze this step by step...",
       "signature": "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL"},
      {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
      {"type": "text", "text": "Based on my analysis..."}]})");
  const Json m = openai_completion_from_anthropic(thinking, 1)["choices"][0];
  EXPECT_EQ(m["message"]["reasoning_content"], "Let me analyze this step by step...");
  EXPECT_EQ(m["message"]["content"], "Based on my analysis...");
  EXPECT_EQ(m["finish_reason"], "length");
  // OpenRouter's reasoning_details: each block, signature and redacted data verbatim.
  EXPECT_EQ(m["message"]["reasoning_details"], Json::parse(R"([
      {"type": "reasoning.text", "text": "Let me analyze this step by step...",
       "signature": "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL",
       "format": "anthropic-claude-v1", "index": 0},
      {"type": "reasoning.encrypted", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP",
       "format": "anthropic-claude-v1", "index": 1}])"));

  const Json tool_only = Json::parse(R"({"type": "message", "stop_reason": "tool_use",
    "content": [{"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}}]})");
  const Json t = openai_completion_from_anthropic(tool_only, 1)["choices"][0]["message"];
  EXPECT_TRUE(t["content"].is_null());
  EXPECT_FALSE(t.contains("reasoning_content"));
  EXPECT_FALSE(t.contains("reasoning_details"));
  EXPECT_EQ(t["tool_calls"][0]["function"]["arguments"], "{}");
}

TEST(AnthropicResponse, StopReasons) {
  EXPECT_EQ(openai_finish_reason("end_turn"), "stop");
  EXPECT_EQ(openai_finish_reason("stop_sequence"), "stop");
  EXPECT_EQ(openai_finish_reason("max_tokens"), "length");
  EXPECT_EQ(openai_finish_reason("tool_use"), "tool_calls");
  EXPECT_EQ(openai_finish_reason("refusal"), "content_filter");
  EXPECT_TRUE(openai_finish_reason(nullptr).is_null());
}

TEST(AnthropicResponse, ErrorsKeepTheirTypeAndMessage) {
  const Json overloaded = Json::parse(openai_error_from_anthropic(
      529, R"({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"},
              "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"})"));
  EXPECT_EQ(overloaded, Json::parse(R"({"error": {"message": "Overloaded",
      "type": "overloaded_error", "param": null, "code": null}})"));
  const Json bad = Json::parse(openai_error_from_anthropic(
      400, R"({"type": "error", "error": {"type": "invalid_request_error",
              "message": "max_tokens: Field required"}})"));
  EXPECT_EQ(bad["error"]["type"], "invalid_request_error");
  EXPECT_EQ(bad["error"]["message"], "max_tokens: Field required");
  const Json html = Json::parse(openai_error_from_anthropic(404, "<html>nope</html>"));
  EXPECT_EQ(html["error"]["type"], "not_found_error");
  EXPECT_EQ(html["error"]["message"], "upstream answered HTTP 404: <html>nope</html>");
}

}  // namespace
}  // namespace junction::gateway
