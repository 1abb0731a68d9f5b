// OpenAI chat requests -> Anthropic Messages requests. Expected bodies are written by hand from
// Anthropic's documentation (Messages API, tool use, extended thinking, OpenAI SDK
// compatibility) and OpenRouter's reasoning-token documentation.
#include "gateway/anthropic_request.h"

#include <gtest/gtest.h>

#include "gateway/anthropic_response.h"
#include "gateway/anthropic_stream.h"

#include "http/api_error.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::json;

Json translate(const Json& body, bool stream = false, int64_t default_max = 4096) {
  return anthropic_request(body, {"claude-sonnet-4-5", stream, default_max});
}

std::string error_param(const Json& body) {
  try {
    translate(body);
  } catch (const http::ApiError& e) {
    EXPECT_EQ(e.status, 400);
    return e.param;
  }
  return "(no error)";
}

TEST(AnthropicRequest, SystemHoistedMaxTokensDefaultedSamplingMapped) {
  const Json body = Json::parse(R"({
    "model": "claude", "temperature": 1.5, "top_p": 0.9, "stop": "END", "user": "u-42",
    "seed": 7, "presence_penalty": 0.5, "stream_options": {"include_usage": true},
    "messages": [
      {"role": "system", "content": "You are terse."},
      {"role": "user", "content": "Hello"},
      {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]}
    ]})");
  EXPECT_EQ(translate(body, true, 1000), Json::parse(R"({
    "model": "claude-sonnet-4-5", "max_tokens": 1000,
    "system": "You are terse.\nAnswer in French.",
    "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}],
    "stream": true, "temperature": 1.0, "top_p": 0.9, "stop_sequences": ["END"],
    "metadata": {"user_id": "u-42"}})"));
}

TEST(AnthropicRequest, MaxCompletionTokensWinsAndStopArraysPass) {
  const Json body = {{"max_completion_tokens", 300},
                     {"max_tokens", 100},
                     {"stop", {"a", "b"}},
                     {"messages", {{{"role", "user"}, {"content", "x"}}}}};
  const Json out = translate(body);
  EXPECT_EQ(out["max_tokens"], 300);
  EXPECT_EQ(out["stop_sequences"], Json::array({"a", "b"}));
  EXPECT_FALSE(out.contains("stream"));
}

TEST(AnthropicRequest, ToolsAndAToolRoundTrip) {
  // The documented get_weather exchange, as an OpenAI client sends it back.
  const Json body = Json::parse(R"({
    "max_tokens": 1024,
    "tools": [{"type": "function", "function": {"name": "get_weather",
      "description": "Get the current weather in a given location",
      "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                     "required": ["location"]}}},
      {"type": "function", "function": {"name": "now"}}],
    "tool_choice": "required",
    "parallel_tool_calls": false,
    "messages": [
      {"role": "user", "content": "What is the weather like in San Francisco?"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "toolu_01A09q90qw90lq917835lq9",
        "type": "function", "function": {"name": "get_weather",
        "arguments": "{\"location\": \"San Francisco, CA\", \"unit\": \"celsius\"}"}}]},
      {"role": "tool", "tool_call_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees"},
      {"role": "user", "content": "And tomorrow?"}
    ]})");
  EXPECT_EQ(translate(body), Json::parse(R"({
    "model": "claude-sonnet-4-5", "max_tokens": 1024,
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "What is the weather like in San Francisco?"}]},
      {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9",
        "name": "get_weather", "input": {"location": "San Francisco, CA", "unit": "celsius"}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees"},
        {"type": "text", "text": "And tomorrow?"}]}
    ],
    "tools": [{"name": "get_weather", "description": "Get the current weather in a given location",
               "input_schema": {"type": "object", "properties": {"location": {"type": "string"}},
                                "required": ["location"]}},
              {"name": "now", "input_schema": {"type": "object", "properties": {}}}],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": true}})"));
}

TEST(AnthropicRequest, ToolResultsComeBeforeTextInAUserTurn) {
  // Two parallel calls answered by two tool messages, with the user's text merged after them.
  const Json body = Json::parse(R"({"messages": [
      {"role": "user", "content": "Weather in Paris and Rome?"},
      {"role": "assistant", "content": "Checking both.", "tool_calls": [
        {"id": "t1", "type": "function", "function": {"name": "w", "arguments": "{\"c\":\"Paris\"}"}},
        {"id": "t2", "type": "function", "function": {"name": "w", "arguments": ""}}]},
      {"role": "tool", "tool_call_id": "t1", "content": [{"type": "text", "text": "9C"}]},
      {"role": "tool", "tool_call_id": "t2", "content": "12C"}]})");
  const Json out = translate(body);
  ASSERT_EQ(out["messages"].size(), 3u);
  EXPECT_EQ(out["messages"][1]["content"], Json::parse(R"([
      {"type": "text", "text": "Checking both."},
      {"type": "tool_use", "id": "t1", "name": "w", "input": {"c": "Paris"}},
      {"type": "tool_use", "id": "t2", "name": "w", "input": {}}])"));
  EXPECT_EQ(out["messages"][2]["content"], Json::parse(R"([
      {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "9C"}]},
      {"type": "tool_result", "tool_use_id": "t2", "content": "12C"}])"));
}

TEST(AnthropicRequest, ToolChoiceVariants) {
  Json body = {{"messages", {{{"role", "user"}, {"content", "x"}}}},
               {"tools", {{{"type", "function"}, {"function", {{"name", "f"}}}}}}};
  EXPECT_EQ(translate(body)["tool_choice"], Json::parse(R"({"type": "auto"})"));
  body["tool_choice"] = "none";
  EXPECT_EQ(translate(body)["tool_choice"], Json::parse(R"({"type": "none"})"));
  body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "f"}}}};
  EXPECT_EQ(translate(body)["tool_choice"], Json::parse(R"({"type": "tool", "name": "f"})"));
  body["tool_choice"] = "sometimes";
  EXPECT_EQ(error_param(body), "tool_choice");
}

TEST(AnthropicRequest, ImagesBecomeBase64OrUrlSources) {
  const Json body = Json::parse(R"({"messages": [{"role": "user", "content": [
      {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
      {"type": "image_url", "image_url": {"url": "https://example.com/ant.jpg", "detail": "low"}},
      {"type": "text", "text": "Describe these images."}]}]})");
  EXPECT_EQ(translate(body)["messages"][0]["content"], Json::parse(R"([
      {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
      {"type": "image", "source": {"type": "url", "url": "https://example.com/ant.jpg"}},
      {"type": "text", "text": "Describe these images."}])"));
}

TEST(AnthropicRequest, ThinkingPassesThroughAndReasoningBecomesABudget) {
  Json body = {{"max_tokens", 20000}, {"messages", {{{"role", "user"}, {"content", "27 * 453?"}}}}};
  body["thinking"] = {{"type", "enabled"}, {"budget_tokens", 16000}};
  EXPECT_EQ(translate(body)["thinking"],
            Json::parse(R"({"type":"enabled","budget_tokens":16000})"));
  body.erase("thinking");
  body["reasoning"] = {{"max_tokens", 2000}};
  EXPECT_EQ(translate(body)["thinking"], Json::parse(R"({"type":"enabled","budget_tokens":2000})"));
  body["reasoning"] = {{"max_tokens", 10}};  // OpenRouter: a minimum of 1024
  EXPECT_EQ(translate(body)["thinking"]["budget_tokens"], 1024);
  // max(min(max_tokens * ratio, 32000), 1024)
  body["reasoning"] = {{"effort", "high"}};
  EXPECT_EQ(translate(body)["thinking"]["budget_tokens"], 16000);
  body["max_tokens"] = 50000;
  EXPECT_EQ(translate(body)["thinking"]["budget_tokens"], 32000);
  body.erase("reasoning");
  body["reasoning_effort"] = "low";
  EXPECT_EQ(translate(body)["thinking"]["budget_tokens"], 10000);
  body["max_tokens"] = 1500;
  body["reasoning_effort"] = "medium";  // 750 -> 1024, still below max_tokens
  EXPECT_EQ(translate(body)["thinking"]["budget_tokens"], 1024);
  body["max_tokens"] = 1000;  // the budget must stay below max_tokens
  EXPECT_EQ(error_param(body), "max_tokens");
  body["reasoning_effort"] = "extreme";
  EXPECT_EQ(error_param(body), "reasoning_effort");
  body.erase("reasoning_effort");
  EXPECT_FALSE(translate(body).contains("thinking"));
}

TEST(AnthropicRequest, RefusesWhatChangesTheAnswersShape) {
  const Json msgs = {{{"role", "user"}, {"content", "x"}}};
  EXPECT_EQ(error_param({{"messages", msgs}, {"n", 2}}), "n");
  EXPECT_EQ(error_param({{"messages", msgs}, {"logprobs", true}}), "logprobs");
  EXPECT_EQ(error_param({{"messages", {{{"role", "function"}, {"content", "x"}}}}}),
            "messages[0].role");
  EXPECT_EQ(
      error_param({{"messages",
                    {{{"role", "assistant"},
                      {"tool_calls",
                       {{{"id", "a"}, {"function", {{"name", "f"}, {"arguments", "{bad"}}}}}}}}}}),
      "messages[0].tool_calls[0].function.arguments");
  EXPECT_EQ(error_param({{"messages", "hi"}}), "messages");
  EXPECT_EQ(error_param({{"messages", msgs}, {"max_tokens", 0}}), "max_tokens");
  // n: 1 and logprobs: false are what OpenAI SDKs may send by default.
  EXPECT_NO_THROW(translate({{"messages", msgs}, {"n", 1}, {"logprobs", false}}));
}

// Anthropic's extended-thinking tool-use example: the assistant turn (thinking with its
// signature, text, tool_use) must go back unchanged with the tool result, or the API answers
// 400. Here it goes out through our OpenAI answer and comes back from an OpenAI request.
const char* kThinkingToolUseContent = R"([
  {"type": "thinking",
   "thinking": "The user wants to know the current weather in Paris. I have access to a function `get_weather`...",
   "signature": "BDaL4VrbR2Oj0hO4XpJxT28J5TILnCrrUXoKiiNBZW9P+nr8XSj1zuZzAl4egiCCpQNvfyUuFFJP5CncdYZEQPPmLxYsNrcs...=="},
  {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
  {"type": "text", "text": "I can help you get the current weather information for Paris. Let me check that for you"},
  {"type": "tool_use", "id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "name": "get_weather",
   "input": {"location": "Paris"}}])";

Json next_turn_request(const Json& assistant_message) {
  return {{"messages",
           {{{"role", "user"}, {"content", "What's the weather in Paris?"}},
            assistant_message,
            {{"role", "tool"},
             {"tool_call_id", "toolu_01CswdEQBMshySk6Y9DFKrfq"},
             {"content", "88 degrees"}}}}};
}

TEST(AnthropicRequest, ThinkingBlocksRoundTripThroughReasoningDetails) {
  const Json content = Json::parse(kThinkingToolUseContent);
  const Json answer = openai_completion_from_anthropic(
      {{"id", "msg_1"}, {"content", content}, {"stop_reason", "tool_use"}}, 1);
  const Json out = translate(next_turn_request(answer["choices"][0]["message"]));
  ASSERT_EQ(out["messages"].size(), 3u);
  EXPECT_EQ(out["messages"][1]["role"], "assistant");
  EXPECT_EQ(out["messages"][1]["content"], content);
  EXPECT_EQ(out["messages"][2]["content"][0]["type"], "tool_result");
}

TEST(AnthropicRequest, StreamedReasoningDetailsMergedByIndexRoundTrip) {
  AnthropicStream stream(1);
  std::vector<std::string> chunks;
  for (
      const char* e :
      {R"({"type":"message_start","message":{"id":"msg_2","model":"claude","usage":{"input_tokens":5}}})",
       R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants to know the current weather in Paris. "}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"I have access to a function `get_weather`..."}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"BDaL4VrbR2Oj0hO4XpJxT28J5TILnCrrUXoKiiNBZW9P+nr8XSj1zuZzAl4egiCCpQNvfyUuFFJP5CncdYZEQPPmLxYsNrcs...=="}})",
       R"({"type":"content_block_stop","index":0})",
       R"({"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}})",
       R"({"type":"content_block_stop","index":1})",
       R"({"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}})",
       R"({"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"I can help you get the current weather information for Paris. Let me check that for you"}})",
       R"({"type":"content_block_stop","index":2})",
       R"({"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_01CswdEQBMshySk6Y9DFKrfq","name":"get_weather","input":{}}})",
       R"({"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Paris\"}"}})",
       R"({"type":"content_block_stop","index":3})",
       R"({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}})",
       R"({"type":"message_stop"})"})
    for (auto& c : stream.on_event(e)) chunks.push_back(std::move(c));
  // What a client keeps: every piece as it came (merging by index is the gateway's job too).
  Json message = {{"role", "assistant"}, {"content", ""}, {"reasoning_details", Json::array()}};
  Json call = {{"type", "function"}, {"function", {{"arguments", ""}}}};
  for (const std::string& c : chunks) {
    if (c == "[DONE]") continue;
    const Json j = Json::parse(c);
    if (j["choices"].empty()) continue;
    const Json& d = j["choices"][0]["delta"];
    if (d.contains("content"))
      message["content"] = message["content"].get<std::string>() + d["content"].get<std::string>();
    if (d.contains("reasoning_details"))
      for (const Json& piece : d["reasoning_details"])
        message["reasoning_details"].push_back(piece);
    if (d.contains("tool_calls")) {
      const Json& t = d["tool_calls"][0];
      if (t.contains("id")) call["id"] = t["id"];
      if (t["function"].contains("name")) call["function"]["name"] = t["function"]["name"];
      call["function"]["arguments"] = call["function"]["arguments"].get<std::string>() +
                                      t["function"]["arguments"].get<std::string>();
    }
  }
  message["tool_calls"] = Json::array({call});
  const Json out = translate(next_turn_request(message));
  EXPECT_EQ(out["messages"][1]["content"], Json::parse(kThinkingToolUseContent));
}

TEST(AnthropicRequest, ReasoningDetailsOfOtherProvidersAndUnsignedThinkingAreLeftOut) {
  const Json assistant =
      Json::parse(R"({"role": "assistant", "content": "Hi", "reasoning_details": [
      {"type": "reasoning.text", "text": "unsigned", "format": "anthropic-claude-v1", "index": 0},
      {"type": "reasoning.encrypted", "data": "gAAAA", "format": "openai-responses-v1", "index": 1},
      {"type": "reasoning.summary", "summary": "a summary", "index": 2},
      {"type": "reasoning.text", "text": "signed", "signature": "sig", "index": 3}]})");
  const Json out = translate({{"messages", {{{"role", "user"}, {"content", "x"}}, assistant}}});
  EXPECT_EQ(out["messages"][1]["content"], Json::parse(R"([
      {"type": "thinking", "thinking": "signed", "signature": "sig"},
      {"type": "text", "text": "Hi"}])"));
  EXPECT_EQ(error_param({{"messages", {{{"role", "assistant"}, {"reasoning_details", "x"}}}}}),
            "messages[0].reasoning_details");
  EXPECT_EQ(error_param({{"messages",
                          {{{"role", "assistant"},
                            {"reasoning_details", {{{"type", "reasoning.text"}, {"text", 3}}}}}}}}),
            "messages[0].reasoning_details[0].text");
}

// The whole error: status, param and message, or "(no error)".
std::string error_of(const Json& body, int64_t default_max = 4096) {
  try {
    translate(body, false, default_max);
  } catch (const http::ApiError& e) {
    return std::to_string(e.status) + " " + e.param + ": " + e.what();
  }
  return "(no error)";
}

TEST(AnthropicRequest, OptionalFieldsMapOrAreLeftOut) {
  const Json msgs = {{{"role", "user"}, {"content", "x"}}};
  Json body = {{"messages", msgs},       {"temperature", "hot"},  {"top_p", "x"},
               {"top_k", 1.5},           {"stop", nullptr},       {"user", 42},
               {"tools", Json::array()}, {"tool_choice", "bogus"}};
  EXPECT_EQ(translate(body), Json::parse(R"({"model":"claude-sonnet-4-5","max_tokens":4096,
      "messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]})"));
  body = {{"messages", msgs}, {"temperature", 0.25}, {"top_k", 40}, {"top_p", 1}};
  const Json out = translate(body);
  EXPECT_EQ(out["temperature"], 0.25);
  EXPECT_EQ(out["top_k"], 40);
  EXPECT_EQ(out["top_p"], 1);
  // parallel_tool_calls: false disables parallel use unless no tool may be used at all.
  body = {{"messages", msgs},
          {"tools", {{{"type", "function"}, {"function", {{"name", "f"}}}}}},
          {"parallel_tool_calls", false}};
  EXPECT_EQ(translate(body)["tool_choice"],
            Json::parse(R"({"type":"auto","disable_parallel_tool_use":true})"));
  body["tool_choice"] = "none";
  EXPECT_EQ(translate(body)["tool_choice"], Json::parse(R"({"type":"none"})"));
  body["tool_choice"] = "required";
  EXPECT_EQ(translate(body)["tool_choice"],
            Json::parse(R"({"type":"any","disable_parallel_tool_use":true})"));
  EXPECT_EQ(translate(body)["tools"], Json::parse(R"([{"name":"f",
      "input_schema":{"type":"object","properties":{}}}])"));
}

TEST(AnthropicRequest, TurnsOfOneRoleMergeAndEmptySystemTextIsSkipped) {
  const Json body = Json::parse(R"({"messages": [
      {"role": "system", "content": ""},
      {"role": "user", "content": "a"},
      {"role": "developer", "content": null},
      {"role": "user", "content": [{"type": "text", "text": "b"}, {"type": "text", "text": ""}]},
      {"role": "system", "content": "s"},
      {"role": "assistant", "content": null},
      {"role": "assistant", "content": "c"}]})");
  EXPECT_EQ(translate(body), Json::parse(R"({"model":"claude-sonnet-4-5","max_tokens":4096,
      "system":"s","messages":[
        {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
        {"role":"assistant","content":[{"type":"text","text":"c"}]}]})"));
}

TEST(AnthropicRequest, ErrorsComeInTheOrderTheFieldsAreRead) {
  const Json msgs = {{{"role", "user"}, {"content", "x"}}};
  EXPECT_EQ(error_of(Json::array()), "400 : The request body must be a JSON object");
  EXPECT_EQ(error_of({{"n", 2}}), "400 messages: messages must be an array");
  EXPECT_EQ(error_of({{"messages", msgs}, {"n", 2}, {"logprobs", true}}),
            "400 n: Anthropic models answer one choice per request: n must be 1");
  EXPECT_EQ(error_of({{"messages", msgs}, {"logprobs", true}}),
            "400 logprobs: Anthropic models do not return logprobs");
  EXPECT_EQ(error_of({{"messages", {msgs[0], "hi"}}}),
            "400 messages[1]: messages[1] must be an object with a role");
  EXPECT_EQ(error_of({{"messages", {{{"role", "bot"}}}}}),
            "400 messages[0].role: messages[0].role 'bot' is not supported for Anthropic models "
            "(system, developer, user, assistant, tool)");
  EXPECT_EQ(error_of({{"messages", {{{"role", "tool"}}}}}),
            "400 messages[0].tool_call_id: messages[0].tool_call_id must be a string");
  // Messages are read before max_tokens, max_tokens before stop, stop before tools, tools
  // before tool_choice, and all of them before the thinking budget.
  Json body = {{"messages", {{{"role", "bot"}}}},
               {"max_tokens", -1},
               {"stop", 3},
               {"tools", {1}},
               {"reasoning_effort", "extreme"}};
  EXPECT_EQ(error_of(body).substr(0, 22), "400 messages[0].role: ");
  body["messages"] = msgs;
  EXPECT_EQ(error_of(body), "400 max_tokens: max_tokens must be a positive integer");
  body.erase("max_tokens");
  EXPECT_EQ(error_of(body, 0), "400 max_tokens: max_tokens is required");
  EXPECT_EQ(error_of(body), "400 stop: stop must be a string or an array of strings");
  body["stop"] = {"a", 1};
  EXPECT_EQ(error_of(body), "400 stop: stop must be a string or an array of strings");
  body.erase("stop");
  EXPECT_EQ(error_of(body),
            "400 tools[0]: tools[0] must be {type: \"function\", function: {name, ...}}");
  body["tools"] = {{{"type", "function"}, {"function", {{"name", "f"}}}}};
  body["tool_choice"] = 7;
  EXPECT_EQ(error_of(body).substr(0, 16), "400 tool_choice:");
  body.erase("tool_choice");
  EXPECT_EQ(error_of(body),
            "400 reasoning_effort: reasoning_effort must be \"low\", \"medium\" or \"high\"");
}

}  // namespace
}  // namespace junction::gateway
