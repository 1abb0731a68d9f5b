// The answer rewrite on recorded upstream answers (tests/gateway/data, from the providers'
// documentation): what the client receives, what is charged, and which answers are judged
// broken. Costs are worked by hand from the recorded usage and the prices below.
#include "gateway/answer_rewrite.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

namespace junction::gateway {
namespace {

using Json = nlohmann::json;

std::string read_data(const std::string& name) {
  std::ifstream f(std::string(GATEWAY_TEST_DATA) + "/" + name, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// $2 / $0.50 (cached) / $8 per million tokens: 2000, 500 and 8000 nano-USD a token.
const Price kPrice{2.0, 8.0, 0.5};

ReservationSize big_reservation() {
  ReservationSize r;
  r.max_tokens = 1000;
  r.prompt_tokens = 1000;
  r.completion_tokens = 1000;
  r.total_tokens = 2000;
  r.cost = 1'000'000'000;  // $1
  return r;
}

const AnswerIds kIds{"gen-0123456789ab0123456789ab", "public-model", "prov", 1700000000, true};

TEST(AnswerRewrite, AnOpenAiAnswerKeepsItsTextWithIdsAndCostReplaced) {
  const std::string upstream = read_data("openai_chat.json");
  const WholeAnswer a = rewrite_whole_answer(upstream, false, kIds, kPrice, big_reservation(), 40);
  ASSERT_TRUE(a.error.empty()) << a.error;
  // prompt 12 of which 4 cached, completion 5: 8*2000 + 4*500 + 5*8000.
  EXPECT_EQ(a.charge.cost, 58'000);
  EXPECT_FALSE(a.charge.clamped);
  EXPECT_EQ(a.charge.tokens.prompt_tokens, 12);
  EXPECT_EQ(a.charge.tokens.cached_tokens, 4);
  EXPECT_EQ(a.charge.tokens.completion_tokens, 5);
  // The key order and the other members' bytes are the upstream's.
  EXPECT_EQ(a.text.rfind("{\"id\":\"gen-0123456789ab0123456789ab\",\"object\":\"chat.completion\","
                         "\"created\":1741569952,\"model\":\"public-model\",\"choices\":",
                         0),
            0u)
      << a.text;
  EXPECT_NE(a.text.find("\"system_fingerprint\":\"fp_fc9f1d7035\""), std::string::npos);
  const Json j = Json::parse(a.text);
  const Json original = Json::parse(upstream);
  EXPECT_EQ(j["choices"], original["choices"]);
  EXPECT_EQ(j["provider"], "prov");
  EXPECT_DOUBLE_EQ(j["usage"]["cost"].get<double>(), 0.000058);
  EXPECT_EQ(j["usage"]["prompt_tokens"], 12);
}

TEST(AnswerRewrite, AnAnthropicMessageIsTranslated) {
  const WholeAnswer a = rewrite_whole_answer(read_data("anthropic_message.json"), true, kIds,
                                             kPrice, big_reservation(), 40);
  ASSERT_TRUE(a.error.empty()) << a.error;
  const Json j = Json::parse(a.text);
  EXPECT_EQ(j["id"], kIds.request_id);
  EXPECT_EQ(j["model"], "public-model");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "Hello! How can I help you today?");
  // input 12 + cache reads 8 = 20 prompt tokens, 8 cached; 10 output:
  // 12*2000 + 8*500 + 10*8000.
  EXPECT_EQ(a.charge.tokens.prompt_tokens, 20);
  EXPECT_EQ(a.charge.tokens.cached_tokens, 8);
  EXPECT_EQ(a.charge.cost, 108'000);
}

TEST(AnswerRewrite, WhatIsNotACompletionIsBroken) {
  const ReservationSize r = big_reservation();
  EXPECT_EQ(rewrite_whole_answer("{\"choices\":", false, kIds, kPrice, r, 0).error,
            "upstream answered with invalid JSON");
  EXPECT_EQ(rewrite_whole_answer("{\"object\":\"list\"}", false, kIds, kPrice, r, 0).error,
            "upstream answer has no choices");
  EXPECT_EQ(rewrite_whole_answer("[1,2]", false, kIds, kPrice, r, 0).error,
            "upstream answer has no choices");
  EXPECT_EQ(rewrite_whole_answer(read_data("openai_chat.json"), true, kIds, kPrice, r, 0).error,
            "upstream answer is not an Anthropic message");
  EXPECT_EQ(
      rewrite_whole_answer(std::string(200, '[') + std::string(200, ']'), false, kIds, kPrice, r, 0)
          .error,
      "upstream answered with invalid JSON");  // deeper than 128 levels
}

TEST(AnswerRewrite, AnAnswerWithoutUsageIsChargedTheEstimateAndSaysSo) {
  const WholeAnswer a = rewrite_whole_answer(
      R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]})", false,
      kIds, kPrice, big_reservation(), 41);
  ASSERT_TRUE(a.error.empty()) << a.error;
  // (41 + 3) / 4 = 11 prompt tokens, no completion tokens counted.
  EXPECT_EQ(a.charge.tokens.prompt_tokens, 11);
  EXPECT_EQ(a.charge.tokens.completion_tokens, 0);
  EXPECT_EQ(a.charge.cost, 22'000);
  const Json j = Json::parse(a.text);
  EXPECT_EQ(j["usage"]["prompt_tokens"], 11);
  EXPECT_EQ(j["usage"]["total_tokens"], 11);
  EXPECT_DOUBLE_EQ(j["usage"]["cost"].get<double>(), 0.000022);
}

TEST(AnswerRewrite, HostileUsageIsClampedToTheReservation) {
  const ReservationSize r = big_reservation();
  const WholeAnswer negative = rewrite_whole_answer(
      R"({"choices":[],"usage":{"prompt_tokens":-1000000,"completion_tokens":-5}})", false, kIds,
      kPrice, r, 0);
  ASSERT_TRUE(negative.error.empty());
  EXPECT_TRUE(negative.charge.clamped);
  EXPECT_EQ(negative.charge.cost, 0);  // never a credit
  EXPECT_EQ(negative.charge.reported.prompt_tokens, -1000000);
  const std::string huge_usage =
      R"({"choices":[],"usage":{"prompt_tokens":1000000000000000,"completion_tokens":1000000000000000}})";
  const WholeAnswer huge = rewrite_whole_answer(huge_usage, false, kIds, kPrice, r, 0);
  ASSERT_TRUE(huge.error.empty());
  EXPECT_TRUE(huge.charge.clamped);
  // Each count held to the reservation's 2000 tokens: 2000*2000 + 2000*8000.
  EXPECT_EQ(huge.charge.tokens.prompt_tokens, 2000);
  EXPECT_EQ(huge.charge.tokens.completion_tokens, 2000);
  EXPECT_EQ(huge.charge.cost, 20'000'000);
  EXPECT_DOUBLE_EQ(Json::parse(huge.text)["usage"]["cost"].get<double>(), 0.02);
  ReservationSize small = r;
  small.cost = 5'000'000;
  const WholeAnswer capped = rewrite_whole_answer(huge_usage, false, kIds, kPrice, small, 0);
  EXPECT_EQ(capped.charge.cost, 5'000'000);  // never more than was reserved
}

TEST(AnswerRewrite, TheRecordedStreamEventByEvent) {
  const std::string sse = read_data("openai_chat_stream.sse");
  std::vector<StreamEvent> events;
  std::istringstream lines(sse);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("data: ", 0) == 0) events.push_back(rewrite_stream_event(line.substr(6), kIds));
  ASSERT_EQ(events.size(), 7u);
  int64_t chunks = 0;
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_EQ(events[i].kind, StreamEvent::Kind::kChunk) << i;
    const Json j = Json::parse(events[i].text);
    EXPECT_EQ(j["id"], kIds.request_id);
    EXPECT_EQ(j["model"], "public-model");
    EXPECT_FALSE(j.contains("usage"));  // re-sent at the end with the cost
    chunks += events[i].content_chunks;
  }
  // The role chunk carries `content: ""`, then three with text; the finish chunk none.
  EXPECT_EQ(chunks, 4);
  EXPECT_EQ(events[4].content_chunks, 0);
  EXPECT_EQ(events[5].kind, StreamEvent::Kind::kSkip);
  ASSERT_TRUE(events[5].usage);
  EXPECT_EQ(events[5].usage->prompt_tokens, 12);
  EXPECT_EQ(events[5].usage->cached_tokens, 4);
  EXPECT_EQ(events[5].usage->completion_tokens, 5);
  EXPECT_EQ(events[6].kind, StreamEvent::Kind::kDone);
}

// Events that are JSON but not objects: before the split `null` or `[1]` made the upstream
// event's erase("usage") throw nlohmann's type_error out of the attempt (a 500 to the client,
// no other deployment tried); now they break the stream like any event that is not a chunk.
TEST(AnswerRewrite, BrokenStreamEvents) {
  const StreamEvent error =
      rewrite_stream_event(R"({"error":{"message":"Overloaded","type":"overloaded_error"}})", kIds);
  EXPECT_EQ(error.kind, StreamEvent::Kind::kBroken);
  EXPECT_EQ(error.text, "upstream error event: Overloaded");
  EXPECT_EQ(rewrite_stream_event("{\"error\":5}", kIds).text, "upstream error event: 5");
  EXPECT_EQ(rewrite_stream_event("not json", kIds).kind, StreamEvent::Kind::kBroken);
  for (const char* data : {"null", "[1]", "5", "\"text\""})
    EXPECT_EQ(rewrite_stream_event(data, kIds).kind, StreamEvent::Kind::kBroken) << data;
  // An empty choices list is no content.
  EXPECT_EQ(rewrite_stream_event(R"({"choices":[]})", kIds).kind, StreamEvent::Kind::kSkip);
  // Choices that are not objects are relayed, counting nothing.
  const StreamEvent odd = rewrite_stream_event(R"({"choices":[1,"x",null]})", kIds);
  EXPECT_EQ(odd.kind, StreamEvent::Kind::kChunk);
  EXPECT_EQ(odd.content_chunks, 0);
}

TEST(AnswerRewrite, TheStreamsClosingEventsHaveTheDocumentedShapes) {
  const Json err = Json::parse(stream_upstream_error_event(kIds, "connection reset"));
  EXPECT_EQ(err["object"], "chat.completion.chunk");
  EXPECT_EQ(err["choices"][0]["finish_reason"], "error");
  EXPECT_EQ(err["choices"][0]["delta"], Json::object());
  EXPECT_EQ(err["error"]["message"],
            "The upstream prov failed after the response started: connection reset");
  EXPECT_EQ(err["error"]["type"], "upstream_error");
  EXPECT_EQ(err["error"]["code"], 502);
  AnswerIds text_ids = kIds;
  text_ids.chat = false;
  const Json text_err = Json::parse(stream_upstream_error_event(text_ids, "x"));
  EXPECT_EQ(text_err["object"], "text_completion");
  EXPECT_EQ(text_err["choices"][0]["text"], "");
  EXPECT_FALSE(text_err["choices"][0].contains("delta"));

  const Json store = Json::parse(stream_store_error_event(kIds, "withheld"));
  EXPECT_EQ(store["choices"], Json::array());
  EXPECT_EQ(store["error"]["code"], "store_unavailable");

  TokenUsage u;
  u.prompt_tokens = 12;
  u.cached_tokens = 4;
  u.completion_tokens = 5;
  u.reasoning_tokens = 2;
  const Json usage = Json::parse(stream_usage_chunk(kIds, u, 58'000));
  EXPECT_EQ(usage["choices"], Json::array());
  EXPECT_EQ(usage["usage"]["total_tokens"], 17);
  EXPECT_EQ(usage["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
  EXPECT_EQ(usage["usage"]["completion_tokens_details"]["reasoning_tokens"], 2);
  EXPECT_DOUBLE_EQ(usage["usage"]["cost"].get<double>(), 0.000058);
}

TEST(AnswerRewrite, UpstreamRefusals) {
  const std::string openai = R"({"error":{"message":"bad","type":"invalid_request_error"}})";
  EXPECT_EQ(rejection_body(400, openai, false, "p"), openai);  // passed on as it is
  const Json wrapped = Json::parse(rejection_body(404, "<html>nope</html>", false, "p"));
  EXPECT_EQ(wrapped["error"]["message"], "upstream p: <html>nope</html>");
  const Json anthropic = Json::parse(rejection_body(
      400, R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens"}})",
      true, "a"));
  EXPECT_EQ(anthropic["error"]["message"], "max_tokens");
  EXPECT_EQ(anthropic["error"]["type"], "invalid_request_error");
}

}  // namespace
}  // namespace junction::gateway
