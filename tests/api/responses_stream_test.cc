// Chat chunk streams -> Responses events: the documented event order (created, in_progress,
// output_item.added, content_part.added, deltas, .done events, completed), sequence numbers,
// and the final response equal to the one the same answer gives whole.
#include "api/responses_stream.h"

#include <gtest/gtest.h>

#include "api/responses_response.h"
#include "messages_test_util.h"

namespace junction::api {
namespace {

using test::Json;

const char* const kChunks[] = {
    R"({"id":"chatcmpl-q","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
    R"({"id":"chatcmpl-q","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"Hm"}}]})",
    R"({"id":"chatcmpl-q","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]})",
    R"({"id":"chatcmpl-q","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"content":"!"}}]})",
    R"({"id":"chatcmpl-q","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\""}}]}}]})",
    R"({"id":"chatcmpl-q","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]})",
    R"({"id":"chatcmpl-q","created":1700000000,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
    R"({"id":"chatcmpl-q","created":1700000000,"model":"m","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":6,"total_tokens":15}})",
    "[DONE]"};

TEST(ResponsesStream, EventsInTheDocumentedOrder) {
  ResponsesStream s(Json::parse(R"({"model":"m","input":"x"})"));
  std::string out;
  for (const char* c : kChunks) out += s.on_data(c);
  const std::vector<Json> ev = test::events(out);
  std::vector<std::string> types;
  for (size_t i = 0; i < ev.size(); ++i) {
    types.push_back(ev[i]["type"]);
    EXPECT_EQ(ev[i]["sequence_number"], i);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"response.created",
                                             "response.in_progress",
                                             "response.output_item.added",
                                             "response.content_part.added",
                                             "response.reasoning_text.delta",
                                             "response.reasoning_text.done",
                                             "response.content_part.done",
                                             "response.output_item.done",
                                             "response.output_item.added",
                                             "response.content_part.added",
                                             "response.output_text.delta",
                                             "response.output_text.delta",
                                             "response.output_text.done",
                                             "response.content_part.done",
                                             "response.output_item.done",
                                             "response.output_item.added",
                                             "response.function_call_arguments.delta",
                                             "response.function_call_arguments.delta",
                                             "response.function_call_arguments.done",
                                             "response.output_item.done",
                                             "response.completed"}));
  const Json& r = ev.back()["response"];
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["id"], "resp_q");
  EXPECT_EQ(r["created_at"], 1700000000);
  EXPECT_EQ(r["usage"]["input_tokens"], 9);
  EXPECT_EQ(r["usage"]["output_tokens"], 6);
  ASSERT_EQ(r["output"].size(), 3u);
  EXPECT_EQ(r["output"][0]["content"][0]["text"], "Hm");
  EXPECT_EQ(r["output"][1]["content"][0]["text"], "Hi!");
  EXPECT_EQ(r["output"][2]["arguments"], "{\"x\":1}");
  EXPECT_EQ(r["output"][2]["call_id"], "call_a");
  EXPECT_EQ(s.response(), r);
  // The same answer whole gives the same items (ids aside) and usage.
  const Json whole =
      response_from_chat(Json::parse(R"({"id":"chatcmpl-q","created":1700000000,"model":"m",
    "choices":[{"message":{"content":"Hi!","reasoning_content":"Hm","tool_calls":[{"id":"call_a",
    "function":{"name":"f","arguments":"{\"x\":1}"}}]},"finish_reason":"tool_calls"}],
    "usage":{"prompt_tokens":9,"completion_tokens":6,"total_tokens":15}})"),
                         Json::parse(R"({"model":"m","input":"x"})"));
  Json a = r["output"], b = whole["output"];
  for (auto& item : a) item.erase("id");
  for (auto& item : b) item.erase("id");
  EXPECT_EQ(a, b);
  EXPECT_EQ(r["usage"], whole["usage"]);
}

TEST(ResponsesStream, ACutStreamIsIncomplete) {
  ResponsesStream s(Json::object());
  std::string out;
  out += s.on_data(
      R"({"id":"chatcmpl-q","model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"length"}]})");
  out += s.on_data("[DONE]");
  const std::vector<Json> ev = test::events(out);
  EXPECT_EQ(ev.back()["type"], "response.incomplete");
  EXPECT_EQ(ev.back()["response"]["incomplete_details"]["reason"], "max_output_tokens");
}

TEST(ResponsesStream, AnErrorPayloadFailsTheResponse) {
  ResponsesStream s(Json::object());
  s.on_data(R"({"id":"chatcmpl-q","model":"m","choices":[{"index":0,"delta":{"content":"a"}}]})");
  const std::vector<Json> ev = test::events(s.on_data(R"({"error":{"message":"engine failed"}})"));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0]["type"], "error");
  EXPECT_EQ(ev[0]["message"], "engine failed");
  EXPECT_EQ(ev[1]["type"], "response.failed");
  EXPECT_EQ(ev[1]["response"]["status"], "failed");
  EXPECT_TRUE(s.ended());
  EXPECT_EQ(s.on_data("[DONE]"), "");
}

}  // namespace
}  // namespace junction::api
