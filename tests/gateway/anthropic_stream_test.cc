// Anthropic SSE events -> OpenAI chat.completion.chunk payloads. The event sequences are the
// ones Anthropic's streaming documentation shows (a tool-use stream, an extended-thinking
// stream, ping and error events); the chunks expected are written by hand.
#include "gateway/anthropic_stream.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

using Json = nlohmann::json;

std::vector<std::string> feed(AnthropicStream& s, const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    for (auto& c : s.on_event(e)) out.push_back(std::move(c));
  return out;
}

Json delta_of(const std::string& chunk) {
  return Json::parse(chunk)["choices"][0]["delta"];
}

TEST(AnthropicStream, ToolUseStreamFromTheDocs) {
  AnthropicStream s(1700000000);
  const auto out = feed(
      s,
      {
          R"({"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}})",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})",
          R"({"type": "ping"})",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}})",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", let's check"}})",
          R"({"type":"content_block_stop","index":0})",
          R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}})",
          R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}})",
          R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}})",
          R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San Francisco, CA\"}"}})",
          R"({"type":"content_block_stop","index":1})",
          R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}})",
          R"({"type":"message_stop"})",
      });
  ASSERT_EQ(out.size(), 8u);
  // Nothing for message_start: the role rides on the first delta.
  const Json first = Json::parse(out[0]);
  EXPECT_EQ(first["id"], "msg_014p7gG3wDgGV9EUtLvnow3U");
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["created"], 1700000000);
  EXPECT_EQ(first["model"], "claude-sonnet-4-5-20250929");
  EXPECT_EQ(first["choices"][0]["delta"], Json::parse(R"({"role":"assistant","content":"Okay"})"));
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(delta_of(out[1]), Json::parse(R"({"content":", let's check"})"));
  EXPECT_EQ(delta_of(out[2]), Json::parse(R"({"tool_calls":[{"index":0,
      "id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","type":"function",
      "function":{"name":"get_weather","arguments":""}}]})"));
  EXPECT_EQ(
      delta_of(out[3]),
      Json::parse(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]})"));
  EXPECT_EQ(
      delta_of(out[4]),
      Json::parse(
          R"({"tool_calls":[{"index":0,"function":{"arguments":" \"San Francisco, CA\"}"}}]})"));
  const Json finish = Json::parse(out[5]);
  EXPECT_EQ(finish["choices"][0]["delta"], Json::object());
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "tool_calls");
  const Json usage = Json::parse(out[6]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"], Json::parse(R"({"prompt_tokens":472,"completion_tokens":89,
      "total_tokens":561,"prompt_tokens_details":{"cached_tokens":0}})"));
  EXPECT_EQ(out[7], "[DONE]");
  EXPECT_TRUE(s.finished());
}

TEST(AnthropicStream, ThinkingStreamAndCumulativeUsage) {
  AnthropicStream s(1);
  const auto out = feed(
      s,
      {
          R"({"type": "message_start", "message": {"id": "msg_01", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5-20250929", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 30, "cache_read_input_tokens": 10, "cache_creation_input_tokens": 0, "output_tokens": 1}}})",
          R"({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}})",
          R"({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me solve this step by step:\n\n1. First break down 27 * 453"}})",
          R"({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."}})",
          R"({"type": "content_block_stop", "index": 0})",
          R"({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}})",
          R"({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "27 * 453 = 12,231"}})",
          R"({"type": "content_block_stop", "index": 1})",
          R"({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 15}})",
          R"({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 20}})",
          R"({"type": "a_future_event", "index": 9})",
          R"({"type": "message_stop"})",
      });
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(delta_of(out[0]), Json::parse(R"({"role":"assistant",
      "reasoning_content":"Let me solve this step by step:\n\n1. First break down 27 * 453",
      "reasoning_details":[{"type":"reasoning.text",
        "text":"Let me solve this step by step:\n\n1. First break down 27 * 453",
        "format":"anthropic-claude-v1","index":0}]})"));
  // The signature arrives as its own reasoning_details piece of the same entry.
  EXPECT_EQ(delta_of(out[1]), Json::parse(R"({"reasoning_details":[{"type":"reasoning.text",
      "signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...",
      "format":"anthropic-claude-v1","index":0}]})"));
  EXPECT_EQ(delta_of(out[2]), Json::parse(R"({"content":"27 * 453 = 12,231"})"));
  EXPECT_EQ(Json::parse(out[3])["choices"][0]["finish_reason"], "stop");
  // message_delta usage is cumulative: the last one counts; input from message_start stays.
  EXPECT_EQ(Json::parse(out[4])["usage"], Json::parse(R"({"prompt_tokens":40,
      "completion_tokens":20,"total_tokens":60,"prompt_tokens_details":{"cached_tokens":10}})"));
  EXPECT_EQ(out[5], "[DONE]");
}

TEST(AnthropicStream, ErrorEventsAndBrokenEventsBecomeErrorPayloads) {
  AnthropicStream s(1);
  EXPECT_TRUE(s.on_event(R"({"type": "ping"})").empty());
  // Before message_start nothing may come but ping and error.
  auto early = s.on_event(R"({"type":"content_block_stop","index":0})");
  ASSERT_EQ(early.size(), 1u);
  EXPECT_TRUE(Json::parse(early[0]).contains("error"));
  s.on_event(
      R"({"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1}}})");
  const auto overloaded = s.on_event(
      R"({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})");
  ASSERT_EQ(overloaded.size(), 1u);
  const Json e = Json::parse(overloaded[0]);
  EXPECT_EQ(e["error"]["type"], "overloaded_error");
  EXPECT_EQ(e["error"]["message"], "overloaded_error: Overloaded");
  const auto garbage = s.on_event("not json");
  ASSERT_EQ(garbage.size(), 1u);
  EXPECT_TRUE(Json::parse(garbage[0]).contains("error"));
  EXPECT_FALSE(s.finished());
}

TEST(AnthropicStream, TwoToolCallsGetTheirOwnIndexes) {
  AnthropicStream s(1);
  const auto out = feed(
      s,
      {
          R"({"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":5,"output_tokens":1}}})",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_a","name":"f","input":{}}})",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}})",
          R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_b","name":"g","input":{}}})",
          R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"x\":1}"}})",
      });
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(delta_of(out[0])["role"], "assistant");
  EXPECT_EQ(delta_of(out[0])["tool_calls"][0]["index"], 0);
  EXPECT_EQ(delta_of(out[1])["tool_calls"][0]["index"], 0);
  EXPECT_FALSE(delta_of(out[1]).contains("role"));
  EXPECT_EQ(delta_of(out[2])["tool_calls"][0]["index"], 1);
  EXPECT_EQ(delta_of(out[2])["tool_calls"][0]["id"], "toolu_b");
  EXPECT_EQ(delta_of(out[3])["tool_calls"][0]["index"], 1);
}

// The less common paths through on_event, pinned byte for byte where the payload is short.
const char* kStart = R"({"type":"message_start","message":{"id":"m","model":"c"}})";

TEST(AnthropicStream, BlocksThatStartWithContentSendIt) {
  AnthropicStream s(1);
  const auto out = feed(
      s,
      {
          kStart,
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi"}})",
          R"({"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":"hmm"}})",
          R"({"type":"content_block_start","index":2,"content_block":{"type":"redacted_thinking","data":"xyz"}})",
          R"({"type":"content_block_delta","index":1,"delta":{"type":"thinking_delta","thinking":"!"}})",
          R"({"type":"content_block_start","index":3,"content_block":{"type":"tool_use"}})",
          R"({"type":"content_block_start","index":4,"content_block":{"type":"thinking"}})",
          R"({"type":"content_block_delta","index":4,"delta":{"type":"thinking_delta","thinking":"?"}})",
      });
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0],
            R"({"choices":[{"delta":{"content":"Hi","role":"assistant"},"finish_reason":null,)"
            R"("index":0,"logprobs":null}],"created":1,"id":"m","model":"c",)"
            R"("object":"chat.completion.chunk"})");
  EXPECT_EQ(delta_of(out[1]), Json::parse(R"({"reasoning_content":"hmm","reasoning_details":[
      {"type":"reasoning.text","text":"hmm","format":"anthropic-claude-v1","index":0}]})"));
  EXPECT_EQ(delta_of(out[2]), Json::parse(R"({"reasoning_details":[{"type":"reasoning.encrypted",
      "data":"xyz","format":"anthropic-claude-v1","index":1}]})"));
  EXPECT_EQ(delta_of(out[3])["reasoning_details"][0]["index"], 0);
  // A tool_use block without id or name still opens a tool call, with empty strings.
  EXPECT_EQ(delta_of(out[4]), Json::parse(R"({"tool_calls":[{"index":0,"id":"","type":"function",
      "function":{"name":"","arguments":""}}]})"));
  EXPECT_EQ(delta_of(out[5])["reasoning_details"][0]["index"], 2);
}

TEST(AnthropicStream, DeltasWithoutTheirBlockOrTypeSendLittleOrNothing) {
  AnthropicStream s(1);
  const auto out = feed(
      s,
      {
          kStart,
          R"({"type":"content_block_start","index":0,"content_block":{"text":"no type"}})",
          R"({"type":"content_block_start","index":0})",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use"}})",
          R"({"type":"content_block_delta","index":0,"delta":{"text":"no type"}})",
          R"({"type":"content_block_delta","index":0})",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"s"}})",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}})",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}})",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta"}})",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta"}})",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"t"}})",
          R"({"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}})",
          R"({"type":"message_delta","delta":{"stop_reason":null}})",
          R"({"type":"message_delta","usage":{"output_tokens":3}})",
          R"({"type":"message_delta","delta":{"stop_reason":"max_tokens"}})",
      });
  ASSERT_EQ(out.size(), 3u);
  // A thinking delta for a block that never started: reasoning_content only.
  EXPECT_EQ(delta_of(out[0]), Json::parse(R"({"role":"assistant","reasoning_content":"t"})"));
  EXPECT_EQ(delta_of(out[1]), Json::parse(R"({"content":"x"})"));
  EXPECT_EQ(out[2],
            R"({"choices":[{"delta":{},"finish_reason":"length","index":0,"logprobs":null}],)"
            R"("created":1,"id":"m","model":"c","object":"chat.completion.chunk"})");
  EXPECT_EQ(feed(s, {R"({"type":"message_stop"})"})[0],
            R"({"choices":[],"created":1,"id":"m","model":"c","object":"chat.completion.chunk",)"
            R"("usage":{"completion_tokens":3,"prompt_tokens":0,"prompt_tokens_details":)"
            R"({"cached_tokens":0},"total_tokens":3}})");
}

TEST(AnthropicStream, ErrorPayloadsNameWhatWentWrong) {
  AnthropicStream s(1);
  EXPECT_EQ(s.on_event(R"({"type":"message_delta"})"),
            std::vector<std::string>{
                R"({"error":{"code":null,"message":"upstream stream event 'message_delta' came )"
                R"(before message_start","param":null,"type":"upstream_error"}})"});
  const std::string not_an_event =
      R"({"error":{"code":null,"message":"upstream sent an event that is not an Anthropic )"
      R"(stream event","param":null,"type":"upstream_error"}})";
  EXPECT_EQ(s.on_event(R"({"no":"type"})"), std::vector<std::string>{not_an_event});
  EXPECT_EQ(s.on_event(R"({"type":3})"), std::vector<std::string>{not_an_event});
  EXPECT_EQ(s.on_event(R"(["type"])"), std::vector<std::string>{not_an_event});
  EXPECT_EQ(s.on_event(R"({"type":"error"})"),
            std::vector<std::string>{R"({"error":{"code":null,"message":"unknown error",)"
                                     R"("param":null,"type":"api_error"}})"});
  EXPECT_EQ(s.on_event(R"({"type":"error","error":{"message":"boom"}})"),
            std::vector<std::string>{
                R"({"error":{"code":null,"message":"boom","param":null,"type":"api_error"}})"});
  EXPECT_TRUE(s.on_event(R"({"type":"ping"})").empty());
  EXPECT_TRUE(s.on_event(kStart).empty());
  EXPECT_TRUE(s.on_event(R"({"type":"content_block_stop","index":0})").empty());
  EXPECT_FALSE(s.finished());
}

// An upstream event nested 400,000 deep (a usage object the stream keeps a copy of) is an error
// payload, not a stack overflow in the gateway.
TEST(AnthropicStream, AnEventNested400000DeepIsAnErrorPayload) {
  AnthropicStream s(1);
  const std::string deep = std::string(400'000, '[') + std::string(400'000, ']');
  const auto out =
      s.on_event(R"({"type":"message_start","message":{"id":"m","usage":{"x":)" + deep + "}}}");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(Json::parse(out[0]).contains("error"));
}

}  // namespace
}  // namespace junction::gateway
