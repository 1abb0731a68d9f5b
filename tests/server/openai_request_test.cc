#include "server/openai_request.h"

#include <gtest/gtest.h>

#include "http/api_error.h"

namespace junction::server {
namespace {

http::ApiError error_of(std::string_view body) {
  try {
    parse_chat_request(body);
  } catch (const http::ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << body;
  return http::ApiError(0, "");
}

TEST(OpenAiRequest, ChatFields) {
  const auto r =
      parse_chat_request(R"({"model":"m","messages":[{"role":"developer","content":"be brief"},
    {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
    "max_completion_tokens":7,"stop":"x","n":2,"seed":3,"temperature":0.5,"top_k":4,
    "logit_bias":{"11":-100},"logprobs":true,"top_logprobs":2,"stream":true,
    "stream_options":{"include_usage":true},"response_format":{"type":"json_object"},"unknown":1})");
  EXPECT_EQ(r.messages[0]["role"], "system");
  EXPECT_EQ(r.messages[1]["content"], "a\nb");
  EXPECT_EQ(r.options.max_tokens, 7);
  EXPECT_EQ(r.options.stop, std::vector<std::string>{"x"});
  EXPECT_EQ(r.options.n, 2);
  EXPECT_EQ(r.options.sampling.seed, 3u);
  EXPECT_FLOAT_EQ(*r.options.sampling.temperature, 0.5f);
  EXPECT_EQ(r.options.sampling.top_k, 4);
  ASSERT_EQ(r.options.sampling.logit_bias.size(), 1u);
  EXPECT_EQ(r.options.sampling.logit_bias[0].first, 11);
  EXPECT_TRUE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 2);
  EXPECT_TRUE(r.options.stream && r.options.include_usage);
  EXPECT_EQ(r.response_format, ResponseFormat::kJsonObject);
}

TEST(OpenAiRequest, ChatErrorsNameTheField) {
  EXPECT_EQ(error_of("{").code, "invalid_json");
  EXPECT_EQ(error_of("[1]").status, 400);
  EXPECT_EQ(error_of(R"({"messages":[{"role":"user","content":"x"}]})").param, "model");
  EXPECT_EQ(error_of(R"({"model":"m","messages":[]})").param, "messages");
  EXPECT_EQ(
      error_of(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"1"})")
          .code,
      "invalid_type");
  EXPECT_EQ(
      error_of(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3})").param,
      "temperature");
  EXPECT_EQ(error_of(R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":0})").param,
            "n");
  EXPECT_EQ(
      error_of(
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":21})")
          .param,
      "top_logprobs");
  EXPECT_EQ(error_of(R"({"model":"m","messages":[{"role":"wizard","content":"x"}]})").param,
            "messages[0].role");
  EXPECT_EQ(
      error_of(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]})")
          .code,
      "unsupported_content");
  EXPECT_EQ(
      error_of(R"({"model":"m","messages":[{"role":"user","content":"x"}],"logit_bias":{"a":1}})")
          .param,
      "logit_bias");
  EXPECT_EQ(
      error_of(
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}})")
          .param,
      "response_format.type");
  EXPECT_EQ(
      error_of(
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"required"})")
          .param,
      "tool_choice");
  EXPECT_EQ(
      error_of("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}").code,
      "invalid_json");
}

TEST(OpenAiRequest, CompletionPrompts) {
  auto r = parse_completion_request(
      R"({"model":"m","prompt":[1,2,3],"echo":true,"logprobs":5,"max_tokens":0})");
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_FALSE(r.prompts[0].is_text);
  EXPECT_EQ(r.prompts[0].ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(r.logprobs, 5);
  EXPECT_EQ(r.options.max_tokens, 0);
  r = parse_completion_request(R"({"model":"m","prompt":["a",[4,5]]})");
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_TRUE(r.prompts[0].is_text);
  EXPECT_EQ(r.prompts[1].ids, (std::vector<int32_t>{4, 5}));
  EXPECT_THROW(parse_completion_request(R"({"model":"m","prompt":[-1]})"), http::ApiError);
  EXPECT_THROW(parse_completion_request(R"({"model":"m","prompt":"a","logprobs":21})"),
               http::ApiError);
  EXPECT_THROW(parse_completion_request(R"({"model":"m","prompt":{}})"), http::ApiError);
  EXPECT_THROW(parse_completion_request(R"({"model":"m"})"), http::ApiError);
}

TEST(OpenAiRequest, TokenizeShapes) {
  auto t = parse_tokenize_request(R"({"prompt":"hi"})");
  EXPECT_EQ(t.prompt, "hi");
  EXPECT_TRUE(t.add_special_tokens);
  t = parse_tokenize_request(R"({"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_FALSE(t.prompt.has_value());
  EXPECT_FALSE(t.add_special_tokens);
  EXPECT_EQ(parse_detokenize_request(R"({"tokens":[1,2]})").tokens, (std::vector<int32_t>{1, 2}));
  EXPECT_THROW(parse_detokenize_request(R"({"tokens":"x"})"), http::ApiError);
}

// A body naming a field twice is refused whole: which value wins differs between parsers, and
// the gateway forwards the body as it came.
TEST(OpenAiRequest, ADuplicatedFieldIsA400DuplicateKey) {
  const http::ApiError e = error_of(
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"}],"max_tokens":9})");
  EXPECT_EQ(e.status, 400);
  const auto j = nlohmann::json::parse(e.to_json());
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["code"], "duplicate_key");
  EXPECT_THROW(parse_completion_request(R"({"model":"m","prompt":"a","model":"n"})"),
               http::ApiError);
}

TEST(OpenAiRequest, ErrorJsonShape) {
  const auto j = nlohmann::json::parse(http::invalid_param("n", "bad").to_json());
  EXPECT_EQ(j["error"]["message"], "bad");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "n");
  EXPECT_EQ(j["error"]["code"], "invalid_value");
}

}  // namespace
}  // namespace junction::server
