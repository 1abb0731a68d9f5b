// Chat chunk streams -> Messages events. The gateway's recorded Anthropic streams go through the
// gateway's Anthropic -> chat stream translation and back: the events must describe the
// recording's message again (content, signature, tool input, stop_reason, usage). Plus an
// engine-style stream written by hand from OpenAI's chunk reference.
#include "api/messages_stream.h"

#include <gtest/gtest.h>

#include "gateway/anthropic_stream.h"
#include "messages_test_util.h"

namespace junction::api {
namespace {

using test::Json;

std::string data_path(const std::string& file) {
  return std::string(GATEWAY_TEST_DATA) + "/" + file;
}

// The recording through AnthropicStream (to chat chunks) and MessagesStream (back).
std::string round_trip(const std::string& file) {
  gateway::AnthropicStream to_chat(1700000000);
  MessagesStream back;
  std::string out;
  for (const std::string& data : test::data_lines(test::read_file(data_path(file))))
    for (const std::string& chunk : to_chat.on_event(data)) out += back.on_data(chunk);
  EXPECT_TRUE(back.ended());
  return out;
}

void expect_same_stream(const std::string& sse_file, const std::string& json_file) {
  const Json recorded = Json::parse(test::read_file(data_path(json_file)));
  const std::vector<Json> ours = test::events(round_trip(sse_file));
  ASSERT_FALSE(ours.empty());
  EXPECT_EQ(ours.front()["type"], "message_start");
  EXPECT_EQ(ours.back()["type"], "message_stop");
  const Json m = test::accumulate(ours);
  EXPECT_EQ(m["content"], recorded["content"]);
  EXPECT_EQ(m["stop_reason"], recorded["stop_reason"]);
  EXPECT_EQ(m["model"], recorded["model"]);
}

TEST(MessagesStream, ARecordedToolUseStreamSurvivesTheRoundTrip) {
  const std::vector<Json> ours = test::events(round_trip("anthropic_tool_use_stream.sse"));
  const Json m = test::accumulate(ours);
  const Json recorded =
      test::accumulate(test::events(test::read_file(data_path("anthropic_tool_use_stream.sse"))));
  EXPECT_EQ(m["content"], recorded["content"]);
  EXPECT_EQ(m["stop_reason"], "tool_use");
  // The recording: 472 input tokens (message_start), 89 output (message_delta).
  EXPECT_EQ(m["usage"]["input_tokens"], 472);
  EXPECT_EQ(m["usage"]["output_tokens"], 89);
}

TEST(MessagesStream, ARecordedThinkingStreamKeepsItsSignature) {
  expect_same_stream("anthropic_thinking_stream.sse", "anthropic_thinking.json");
}

TEST(MessagesStream, ARecordedTextStreamCountsCacheReads) {
  const Json m = test::accumulate(test::events(round_trip("anthropic_stream.sse")));
  EXPECT_EQ(m["usage"]["input_tokens"], 12);
  EXPECT_EQ(m["usage"]["cache_read_input_tokens"], 8);
  EXPECT_EQ(m["usage"]["output_tokens"], 10);
}

TEST(MessagesStream, AnEngineStreamBecomesBlocksInOrder) {
  MessagesStream s;
  std::string out;
  for (
      const char* chunk :
      {R"({"id":"chatcmpl-q","object":"chat.completion.chunk","model":"e2e-model","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
       R"({"id":"chatcmpl-q","model":"e2e-model","choices":[{"index":0,"delta":{"reasoning_content":"Hm"}}]})",
       R"({"id":"chatcmpl-q","model":"e2e-model","choices":[{"index":0,"delta":{"reasoning_content":"m."}}]})",
       R"({"id":"chatcmpl-q","model":"e2e-model","choices":[{"index":0,"delta":{"content":"Hi"}}]})",
       R"({"id":"chatcmpl-q","model":"e2e-model","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\""}}]}}]})",
       R"({"id":"chatcmpl-q","model":"e2e-model","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]})",
       R"({"id":"chatcmpl-q","model":"e2e-model","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
       R"({"id":"chatcmpl-q","model":"e2e-model","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":6,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}}})",
       "[DONE]"})
    out += s.on_data(chunk);
  const std::vector<Json> ev = test::events(out);
  std::vector<std::string> types;
  for (const Json& e : ev) types.push_back(e["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{
                       "message_start", "content_block_start", "content_block_delta",
                       "content_block_delta", "content_block_stop", "content_block_start",
                       "content_block_delta", "content_block_stop", "content_block_start",
                       "content_block_delta", "content_block_delta", "content_block_stop",
                       "message_delta", "message_stop"}));
  EXPECT_EQ(ev[0]["message"]["id"], "msg_q");
  EXPECT_EQ(test::accumulate(ev), Json::parse(R"({"id":"msg_q","type":"message",
    "role":"assistant","model":"e2e-model","content":[
      {"type":"thinking","thinking":"Hmm.","signature":""},
      {"type":"text","text":"Hi"},
      {"type":"tool_use","id":"call_a","name":"f","input":{"x":1}}],
    "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,
    "cache_creation_input_tokens":0,"cache_read_input_tokens":4,"output_tokens":6}})"));
  EXPECT_EQ(s.on_data("{}"), "");  // after the end, nothing
}

TEST(MessagesStream, AnErrorPayloadEndsTheStreamWithAnErrorEvent) {
  MessagesStream s;
  s.on_data(R"({"id":"chatcmpl-q","model":"m","choices":[{"index":0,"delta":{"content":"a"}}]})");
  const std::vector<Json> ev =
      test::events(s.on_data(R"({"error":{"message":"engine failed","type":"server_error"}})"));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(
      ev[0],
      Json::parse(R"({"type":"error","error":{"type":"api_error","message":"engine failed"}})"));
  EXPECT_TRUE(s.ended());
  EXPECT_EQ(s.on_data("[DONE]"), "");
}

TEST(MessagesStream, GarbageIsAnErrorEvent) {
  MessagesStream s;
  const std::vector<Json> ev = test::events(s.on_data("not json"));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["type"], "error");
}

}  // namespace
}  // namespace junction::api
