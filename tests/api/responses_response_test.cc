// Chat completions -> Responses objects, with the response written by hand from OpenAI's
// Responses API reference (output items, status, incomplete_details, usage, echoed settings).
#include "api/responses_response.h"

#include <gtest/gtest.h>

#include "api/response_store.h"

namespace junction::api {
namespace {

using Json = nlohmann::ordered_json;

TEST(ResponsesResponse, AnAnswerWithReasoningTextAndAToolCall) {
  const Json chat =
      Json::parse(R"({"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,
    "model":"e2e-model","choices":[{"index":0,"message":{"role":"assistant","content":"Sure.",
    "reasoning_content":"think","tool_calls":[{"id":"call_1","type":"function","function":
    {"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],
    "usage":{"prompt_tokens":20,"completion_tokens":7,"total_tokens":27,
    "prompt_tokens_details":{"cached_tokens":16},"completion_tokens_details":{"reasoning_tokens":2}}})");
  const Json r = response_from_chat(
      chat, Json::parse(
                R"({"model":"e2e-model","input":"x","instructions":"I","max_output_tokens":32})"));
  EXPECT_EQ(r["id"], "resp_abc");
  EXPECT_EQ(r["object"], "response");
  EXPECT_EQ(r["created_at"], 1700000000);
  EXPECT_EQ(r["status"], "completed");
  EXPECT_TRUE(r["incomplete_details"].is_null());
  EXPECT_EQ(r["instructions"], "I");
  EXPECT_EQ(r["max_output_tokens"], 32);
  EXPECT_EQ(r["model"], "e2e-model");
  EXPECT_EQ(r["output"], Json::parse(R"([
    {"id":"rs_abc","type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"think"}]},
    {"id":"msg_abc","type":"message","status":"completed","role":"assistant","content":[
      {"type":"output_text","text":"Sure.","annotations":[],"logprobs":[]}]},
    {"id":"fc_abc_0","type":"function_call","status":"completed","arguments":"{\"location\":\"Paris\"}",
     "call_id":"call_1","name":"get_weather"}])"));
  EXPECT_EQ(r["usage"],
            Json::parse(R"({"input_tokens":20,"input_tokens_details":{"cached_tokens":16},
    "output_tokens":7,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":27})"));
  EXPECT_EQ(r["text"], Json::parse(R"({"format":{"type":"text"}})"));
  EXPECT_EQ(r["tool_choice"], "auto");
  EXPECT_EQ(r["store"], true);
}

TEST(ResponsesResponse, ACutAnswerIsIncomplete) {
  const Json chat = Json::parse(R"({"id":"chatcmpl-z","model":"m","choices":[{"message":
    {"content":"abc"},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":4}})");
  const Json r = response_from_chat(chat, Json::object());
  EXPECT_EQ(r["status"], "incomplete");
  EXPECT_EQ(r["incomplete_details"], Json::parse(R"({"reason":"max_output_tokens"})"));
}

TEST(ResponsesResponse, TheOutputBecomesTheAssistantMessageAgain) {
  const Json output = Json::parse(R"([
    {"type":"reasoning","content":[{"type":"reasoning_text","text":"t"}]},
    {"type":"message","content":[{"type":"output_text","text":"Hi"}]},
    {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"}])");
  EXPECT_EQ(assistant_message_from_output(output),
            Json::parse(R"({"role":"assistant","content":"Hi",
    "reasoning_content":"t","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]})"));
}

TEST(ResponsesResponse, AnAnswerWithoutOneChoiceIsRefused) {
  EXPECT_THROW(response_from_chat(Json::parse(R"({"choices":[]})"), Json::object()),
               std::runtime_error);
}

TEST(ResponseStore, KeepsTheNewestAndOnlyForTheirOwner) {
  ResponseStore store(2, 1000);
  store.put("a", "k1", Json::array({1}));
  store.put("b", "k1", Json::array({2}));
  store.put("c", "k2", Json::array({3}));
  EXPECT_FALSE(store.get("a", "k1"));  // the oldest went first
  EXPECT_EQ(*store.get("b", "k1"), Json::array({2}));
  EXPECT_FALSE(store.get("c", "k1"));  // another key's
  EXPECT_EQ(*store.get("c", "k2"), Json::array({3}));
  store.put("big", "k1", Json::array({std::string(2000, 'x')}));
  EXPECT_FALSE(store.get("big", "k1"));  // larger than the bound: not kept
}

TEST(ResponseStore, TheTotalSizeIsBounded) {
  ResponseStore store(100, 1000, 40);  // "[\"xxxxxxxxxx\"]" is 14 bytes: two fit in 40
  for (const char* id : {"a", "b", "c"}) store.put(id, "", Json::array({std::string(10, 'x')}));
  EXPECT_FALSE(store.get("a", ""));
  EXPECT_TRUE(store.get("b", ""));
  EXPECT_TRUE(store.get("c", ""));
}

}  // namespace
}  // namespace junction::api
