// The render layer alone: each OpenAI response shape from fixed native values, as exact JSON
// text (field order is part of the wire). The e2e wire goldens pin the same shapes through a
// real server; these need no model, and cover what a model cannot be made to produce on demand
// (the mid-stream engine error, -inf logprobs). No tokenizer: tokens read token_id:N.
#include "server/openai_response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace junction::server {
namespace {

const ResponseHead kHead{"chatcmpl-abc", 1700000000, "m", false};
const ResponseHead kHeadWithUsage{"chatcmpl-abc", 1700000000, "m", true};

chat::ParsedMessage message_with_call() {
  chat::ParsedMessage m;
  m.reasoning_content = "hmm";
  m.tool_calls.push_back({"call_1", "get_time", R"({"zone":"UTC"})"});
  return m;
}

TEST(OpenAiResponse, ChatCompletionFieldsInWireOrder) {
  chat::ParsedMessage m;
  m.content = "hi";
  const Json choice = chat_choice_json(0, m, Json(), "length");
  EXPECT_EQ(
      dump(chat_completion_json(kHead, Json::array({choice}), usage_json(5, 2, 1, 0))),
      R"({"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"m",)"
      R"("system_fingerprint":"junction","choices":[{"index":0,"message":{"role":"assistant",)"
      R"("content":"hi"},"logprobs":null,"finish_reason":"length"}],"usage":{)"
      R"("prompt_tokens":5,"completion_tokens":2,"total_tokens":7,)"
      R"("prompt_tokens_details":{"cached_tokens":1},)"
      R"("completion_tokens_details":{"reasoning_tokens":0}}})");
}

TEST(OpenAiResponse, UsageCountsDraftedTokensAsOpenAiNamesThem) {
  EXPECT_EQ(dump(usage_json(5, 6, 0, 1, PredictionTokens{4, 2})),
            R"({"prompt_tokens":5,"completion_tokens":6,"total_tokens":11,)"
            R"("prompt_tokens_details":{"cached_tokens":0},)"
            R"("completion_tokens_details":{"reasoning_tokens":1,"accepted_prediction_tokens":4,)"
            R"("rejected_prediction_tokens":2}})");
  EXPECT_EQ(dump(usage_json(5, 6, 0, std::nullopt, PredictionTokens{0, 3})),
            R"({"prompt_tokens":5,"completion_tokens":6,"total_tokens":11,)"
            R"("prompt_tokens_details":{"cached_tokens":0},)"
            R"("completion_tokens_details":{"accepted_prediction_tokens":0,)"
            R"("rejected_prediction_tokens":3}})");
}

TEST(OpenAiResponse, AMessageOfOnlyToolCallsHasNullContentAndItsReasoning) {
  EXPECT_EQ(dump(chat_message_json(message_with_call())),
            R"({"role":"assistant","content":null,"reasoning_content":"hmm","tool_calls":[)"
            R"({"id":"call_1","type":"function","function":{"name":"get_time",)"
            R"("arguments":"{\"zone\":\"UTC\"}"}}]})");
  EXPECT_EQ(chat_finish_reason("stop", message_with_call()), "tool_calls");
  EXPECT_EQ(chat_finish_reason("length", message_with_call()), "length");
  EXPECT_EQ(chat_finish_reason("stop", chat::ParsedMessage{}), "stop");
}

TEST(OpenAiResponse, ChatChunksCarryNullUsageOnlyWhenAskedAndUsageComesLast) {
  EXPECT_EQ(dump(chat_role_chunk_json(kHead, 2)),
            R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,)"
            R"("model":"m","system_fingerprint":"junction","choices":[{"index":0,"delta":{)"
            R"("role":"assistant","content":""},"logprobs":null,"finish_reason":null},{"index":1,)"
            R"("delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})");
  EXPECT_EQ(dump(chat_finish_chunk_json(kHeadWithUsage, 1, "stop")),
            R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,)"
            R"("model":"m","system_fingerprint":"junction","choices":[{"index":1,"delta":{},)"
            R"("logprobs":null,"finish_reason":"stop"}],"usage":null})");
  EXPECT_EQ(dump(chat_usage_chunk_json(kHeadWithUsage, usage_json(3, 4, 0, 2))),
            R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,)"
            R"("model":"m","system_fingerprint":"junction","choices":[],"usage":{)"
            R"("prompt_tokens":3,"completion_tokens":4,"total_tokens":7,)"
            R"("prompt_tokens_details":{"cached_tokens":0},)"
            R"("completion_tokens_details":{"reasoning_tokens":2}}})");
}

TEST(OpenAiResponse, AChatDeltaHasReasoningThenContentThenIndexedToolCalls) {
  chat::ChatDelta d;
  d.content = "b";
  d.reasoning_content = "a";
  d.tool_calls.push_back({0, {"call_1", "f", "{}"}});
  EXPECT_EQ(dump(chat_delta_chunk_json(kHead, 0, d, Json{{"content", Json::array()}})),
            R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,)"
            R"("model":"m","system_fingerprint":"junction","choices":[{"index":0,"delta":{)"
            R"("reasoning_content":"a","content":"b","tool_calls":[{"id":"call_1",)"
            R"("type":"function","function":{"name":"f","arguments":"{}"},"index":0}]},)"
            R"("logprobs":{"content":[]},"finish_reason":null}]})");
  EXPECT_EQ(dump(chat_delta_chunk_json(kHead, 0, chat::ChatDelta{}, Json())),
            R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,)"
            R"("model":"m","system_fingerprint":"junction","choices":[{"index":0,"delta":{},)"
            R"("logprobs":null,"finish_reason":null}]})");
}

TEST(OpenAiResponse, ChatLogprobsCutTopAndClampMinusInfinity) {
  ServingContext c;
  TokenEvent e{7, -std::numeric_limits<float>::infinity(), {{7, -0.5f}, {8, -1.5f}, {9, -2.5f}}};
  EXPECT_EQ(dump(chat_logprobs(c, {e}, 2)),
            R"([{"token":"token_id:7","logprob":-9999.0,"bytes":[116,111,107,101,110,95,105,100,)"
            R"(58,55],"top_logprobs":[{"token":"token_id:7","logprob":-0.5,"bytes":[116,111,107,)"
            R"(101,110,95,105,100,58,55]},{"token":"token_id:8","logprob":-1.5,"bytes":[116,111,)"
            R"(107,101,110,95,105,100,58,56]}]}])");
}

TEST(OpenAiResponse, CompletionLogprobsOfAnEchoedPromptStartWithNull) {
  ServingContext c;
  CompletionLogprobs l;
  const std::vector<TokenEvent> prompt_logprobs = {{2, -1.0f, {{5, -0.25f}, {5, -0.5f}}}};
  l.add_prompt(c, {1, 2}, prompt_logprobs, 2, true);
  const std::vector<TokenEvent> generated = {{3, -0.75f, {{3, -0.75f}}}};
  l.add_tokens(c, generated, 0, true);
  EXPECT_EQ(dump(l.to_json()),
            R"({"tokens":["token_id:1","token_id:2","token_id:3"],)"
            R"("token_logprobs":[null,-1.0,-0.75],"top_logprobs":[null,{"token_id:5":-0.25},{}],)"
            R"("text_offset":[0,10,20]})");
}

TEST(OpenAiResponse, CompletionObjectsAndChunks) {
  const ResponseHead head{"cmpl-abc", 1700000000, "m", true};
  const Json choice = completion_choice_json(1, "x", Json(), "stop");
  EXPECT_EQ(dump(completion_json(head, Json::array({choice}), usage_json(2, 1, 0, std::nullopt))),
            R"({"id":"cmpl-abc","object":"text_completion","created":1700000000,"model":"m",)"
            R"("system_fingerprint":"junction","choices":[{"index":1,"text":"x","logprobs":null,)"
            R"("finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,)"
            R"("total_tokens":3,"prompt_tokens_details":{"cached_tokens":0}}})");
  EXPECT_EQ(dump(completion_chunk_json(head, completion_choice_json(0, "y", Json(), nullptr))),
            R"({"id":"cmpl-abc","object":"text_completion","created":1700000000,"model":"m",)"
            R"("system_fingerprint":"junction","choices":[{"index":0,"text":"y","logprobs":null,)"
            R"("finish_reason":null}],"usage":null})");
  EXPECT_EQ(dump(completion_usage_chunk_json(head, usage_json(2, 1, 0, std::nullopt))),
            R"({"id":"cmpl-abc","object":"text_completion","created":1700000000,"model":"m",)"
            R"("system_fingerprint":"junction","choices":[],"usage":{"prompt_tokens":2,)"
            R"("completion_tokens":1,"total_tokens":3,"prompt_tokens_details":{)"
            R"("cached_tokens":0}}})");
}

TEST(OpenAiResponse, AnEngineFailureMidStreamIsOneErrorEvent) {
  EXPECT_EQ(sse_event(stream_error_json("The engine failed: boom")),
            "data: {\"error\":{\"message\":\"The engine failed: boom\",\"type\":\"server_error\","
            "\"param\":null,\"code\":null}}\n\n");
}

TEST(OpenAiResponse, IdsHaveThePrefixAnd24Alphanumerics) {
  const ResponseHead h = response_head("cmpl-", "m", false);
  ASSERT_EQ(h.id.size(), 5u + 24u);
  EXPECT_TRUE(h.id.starts_with("cmpl-"));
  EXPECT_GT(h.created, 1700000000);
  EXPECT_EQ(dump(Json("\xff")), "\"\xEF\xBF\xBD\"");  // invalid UTF-8 becomes U+FFFD
}

}  // namespace
}  // namespace junction::server
