// Responses requests (the shapes of OpenAI's Responses API reference: instructions, string and
// item inputs, function_call / function_call_output, reasoning items, function tools,
// text.format) -> chat requests written by hand from the Chat Completions reference.
#include "api/responses_request.h"

#include <gtest/gtest.h>

#include "http/api_error.h"

namespace junction::api {
namespace {

using Json = nlohmann::ordered_json;

ResponsesChat chat(std::string_view body, const Json& history = Json::array()) {
  return chat_request_from_responses(parse_responses_request(body), history);
}

http::ApiError refusal(std::string_view body) {
  try {
    chat(body);
  } catch (const http::ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return http::ApiError(0, "");
}

TEST(ResponsesRequest, AStringInputWithInstructions) {
  const ResponsesChat c = chat(R"({"model":"m","instructions":"Be brief.","input":"Hello",
      "max_output_tokens":16,"temperature":0,"top_p":0.5,"user":"u"})");
  EXPECT_EQ(c.chat, Json::parse(R"({"model":"m","messages":[{"role":"system","content":"Be brief."},
      {"role":"user","content":"Hello"}],"max_tokens":16,"temperature":0,"top_p":0.5,"user":"u"})"));
  // The instructions are not part of the conversation a later response continues.
  EXPECT_EQ(c.conversation, Json::parse(R"([{"role":"user","content":"Hello"}])"));
}

TEST(ResponsesRequest, AStreamAsksForTheUsageChunk) {
  const ResponsesChat c = chat(R"({"model":"m","input":"x","stream":true})");
  EXPECT_EQ(c.chat["stream_options"], Json::parse(R"({"include_usage":true})"));
}

TEST(ResponsesRequest, AFunctionCallingRoundTripFromTheGuide) {
  const ResponsesChat c = chat(R"({"model":"m",
    "tools":[{"type":"function","name":"get_weather","description":"Weather","parameters":
      {"type":"object","properties":{"location":{"type":"string"}},"required":["location"]},"strict":true}],
    "tool_choice":{"type":"function","name":"get_weather"},"parallel_tool_calls":false,
    "input":[
      {"role":"developer","content":"Use tools."},
      {"role":"user","content":[{"type":"input_text","text":"Weather in Paris?"}]},
      {"type":"reasoning","id":"rs_1","summary":[],"content":[{"type":"reasoning_text","text":"Call it."}]},
      {"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"location\":\"Paris\"}"},
      {"type":"function_call_output","call_id":"call_1","output":"21 C"}]})");
  EXPECT_EQ(c.chat["tools"], Json::parse(R"([{"type":"function","function":{"name":"get_weather",
      "description":"Weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},
      "required":["location"]},"strict":true}}])"));
  EXPECT_EQ(c.chat["tool_choice"],
            Json::parse(R"({"type":"function","function":{"name":"get_weather"}})"));
  EXPECT_EQ(c.chat["parallel_tool_calls"], false);
  EXPECT_EQ(c.chat["messages"], Json::parse(R"([
      {"role":"system","content":"Use tools."},
      {"role":"user","content":"Weather in Paris?"},
      {"role":"assistant","content":null,"reasoning_content":"Call it.","tool_calls":[
        {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"21 C"}])"));
}

TEST(ResponsesRequest, AssistantOutputItemsMergeIntoOneMessage) {
  const ResponsesChat c = chat(R"({"model":"m","input":[{"role":"user","content":"a"},
      {"type":"message","role":"assistant","content":[{"type":"output_text","text":"b"}]},
      {"role":"user","content":"c"}]})");
  EXPECT_EQ(c.chat["messages"][1], Json::parse(R"({"role":"assistant","content":"b"})"));
}

TEST(ResponsesRequest, TheHistoryComesFirst) {
  const Json history =
      Json::parse(R"([{"role":"user","content":"a"},{"role":"assistant","content":"b"}])");
  const ResponsesChat c = chat(
      R"({"model":"m","instructions":"I","previous_response_id":"resp_1","input":"c"})", history);
  EXPECT_EQ(c.chat["messages"], Json::parse(R"([{"role":"system","content":"I"},
      {"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}])"));
  EXPECT_EQ(parse_responses_request(R"({"previous_response_id":"resp_1"})").previous_response_id,
            "resp_1");
}

TEST(ResponsesRequest, TextFormatsBecomeResponseFormats) {
  EXPECT_EQ(
      chat(R"({"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"p",
      "schema":{"type":"object"},"strict":true}}})")
          .chat["response_format"],
      Json::parse(
          R"({"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object"},"strict":true}})"));
  EXPECT_FALSE(chat(R"({"model":"m","input":"x","text":{"format":{"type":"text"}}})")
                   .chat.contains("response_format"));
}

TEST(ResponsesRequest, StoreDefaultsToTrue) {
  EXPECT_TRUE(parse_responses_request(R"({"model":"m","input":"x"})").store);
  EXPECT_FALSE(parse_responses_request(R"({"model":"m","input":"x","store":false})").store);
}

TEST(ResponsesRequest, MalformedBodiesAreRefusedNamingTheField) {
  EXPECT_EQ(refusal("{").status, 400);
  EXPECT_EQ(refusal(R"({"input":"x"})").param, "model");
  EXPECT_EQ(refusal(R"({"model":"m"})").param, "input");
  EXPECT_EQ(refusal(R"({"model":"m","input":5})").param, "input");
  EXPECT_EQ(refusal(R"({"model":"m","input":[]})").param, "input");
  EXPECT_EQ(refusal(R"({"model":"m","input":[{"type":"item_reference","id":"x"}]})").param,
            "input[0].type");
  EXPECT_EQ(refusal(R"({"model":"m","input":[{"role":"tool","content":"x"}]})").param,
            "input[0].role");
  EXPECT_EQ(
      refusal(
          R"({"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]})")
          .param,
      "input[0].content[0].type");
  EXPECT_EQ(refusal(R"({"model":"m","input":"x","tools":[{"type":"web_search"}]})").param,
            "tools[0].type");
  EXPECT_EQ(refusal(R"({"model":"m","input":"x","max_output_tokens":0})").param,
            "max_output_tokens");
  EXPECT_EQ(refusal(R"({"model":"m","input":"x","store":"yes"})").param, "store");
  EXPECT_EQ(refusal(R"({"model":"m","input":"x","tool_choice":"sometimes"})").param, "tool_choice");
  EXPECT_EQ(refusal(std::string(10000, '[')).code, "json_too_deep");
}

}  // namespace
}  // namespace junction::api
