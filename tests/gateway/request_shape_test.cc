#include "gateway/request_shape.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/api_error.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::json;

TEST(RequestShape, ChatFields) {
  const Json body = Json::parse(R"({
    "model": "r1-8b", "models": ["small"], "stream": true,
    "stream_options": {"include_usage": true}, "max_tokens": 64, "n": 2,
    "messages": [{"role": "user", "content": "héllo"}],
    "provider": {"order": ["a"], "allow_fallbacks": false, "sort": "price",
                 "max_price": {"prompt": 1, "completion": 2}}})");
  const RequestShape r = read_request_shape(body, true);
  EXPECT_EQ(r.model, "r1-8b");
  EXPECT_EQ(r.models, std::vector<std::string>{"small"});
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.max_tokens, 64);
  EXPECT_EQ(r.n, 2);
  EXPECT_EQ(r.prompt_chars, 4 + 6);  // "user" + "héllo" in UTF-8 bytes
  EXPECT_EQ(r.prompt_tokens_upper_bound, 10 + 8 * 2);
  EXPECT_EQ(r.provider.order, std::vector<std::string>{"a"});
  EXPECT_FALSE(r.provider.allow_fallbacks);
  EXPECT_EQ(r.provider.sort, "price");
  EXPECT_DOUBLE_EQ(r.provider.max_prompt_price, 1);
  EXPECT_DOUBLE_EQ(r.provider.max_completion_price, 2);
}

// model "auto"'s quality bar from outside: only an object of a bounded metric name and a number.
TEST(RequestShape, AHostileQualityBarIsA400NamingIt) {
  const auto param_of = [](const std::string& quality) -> std::string {
    try {
      read_request_shape(
          Json::parse(R"({"model": "auto", "messages": [], "quality": )" + quality + "}"), true);
    } catch (const http::ApiError& e) {
      EXPECT_EQ(e.status, 400);
      return e.param;
    }
    return "";
  };
  for (const std::string& bad : std::vector<std::string>{
           "[]", "\"x\"", "1", R"({"metric": 5})", R"({"metric": ""})",
           R"({"metric": ")" + std::string(257, 'm') + "\"}", R"({"min_score": "0.7"})",
           R"({"min_score": null})", R"({"min_score": [0.7]})"})
    EXPECT_EQ(param_of(bad), "quality") << bad;
  const RequestShape ok = read_request_shape(
      Json::parse(R"({"model": "auto", "messages": [], "quality": {"metric": ")" +
                  std::string(256, 'm') + R"(", "min_score": -1e308}})"),
      true);
  EXPECT_EQ(ok.quality_metric, std::string(256, 'm'));
  EXPECT_EQ(ok.quality_min_score, std::optional<double>(-1e308));
}

TEST(RequestShape, CompletionsWithTokenIds) {
  const Json body =
      Json::parse(R"({"model": "m", "prompt": [1, 2, 3], "max_completion_tokens": 5})");
  const RequestShape r = read_request_shape(body, false);
  EXPECT_EQ(r.prompt_tokens_upper_bound, 3 + 8);
  EXPECT_EQ(r.max_tokens, 5);
}

TEST(RequestShape, EveryPromptOfAListIsCounted) {
  const auto shape = [](const char* body) { return read_request_shape(Json::parse(body), false); };
  RequestShape r = shape(R"({"model": "m", "prompt": ["hello", "hello", "hello"], "n": 2})");
  EXPECT_EQ(r.n_prompts, 3);
  EXPECT_EQ(r.n, 2);
  EXPECT_EQ(r.prompt_tokens_upper_bound, 3 * 5 + 3 * 8);  // bytes, and 8 a prompt
  r = shape(R"({"model": "m", "prompt": [[1, 2], [3], [4, 5, 6]]})");
  EXPECT_EQ(r.n_prompts, 3);
  EXPECT_EQ(r.prompt_tokens_upper_bound, 6 + 3 * 8);
  EXPECT_EQ(shape(R"({"model": "m", "prompt": [1, 2, 3]})").n_prompts, 1);  // one id prompt
  EXPECT_EQ(shape(R"({"model": "m", "prompt": "hello"})").n_prompts, 1);
  EXPECT_EQ(shape(R"({"model": "m", "prompt": "x", "max_completion_tokens": 3})").max_tokens_field,
            "max_completion_tokens");
}

// An image is not as cheap as its URL is short: each image part reserves a fixed bound
// (4,096 tokens), where it used to count the URL's ~30 bytes.
TEST(RequestShape, ImagesAreCountedAtTheirBoundNotTheirUrl) {
  const Json body = Json::parse(R"({"model": "m", "messages": [{"role": "user", "content": [
      {"type": "text", "text": "What is this?"},
      {"type": "image_url", "image_url": {"url": "https://e.com/a.png"}},
      {"type": "image_url", "image_url": {"url": "https://e.com/b.png", "detail": "high"}}]}]})");
  const RequestShape r = read_request_shape(body, true);
  // 13 text bytes + the two parts' strings ("user", "text", 2 x "image_url", the URLs, "high")
  // stay counted as bytes; each image adds 4096.
  const int64_t strings = 4 + 4 + 13 + 9 + 19 + 9 + 19 + 4;
  EXPECT_EQ(r.prompt_chars, strings + 2 * 4096);
  EXPECT_EQ(r.prompt_tokens_upper_bound, strings + 2 * 4096 + 8 * 2);
}

TEST(RequestShape, Errors) {
  EXPECT_THROW(read_request_shape(Json::parse(R"({"messages": []})"), true), http::ApiError);
  EXPECT_THROW(read_request_shape(Json::parse(R"({"model": "m"})"), true), http::ApiError);
  EXPECT_THROW(
      read_request_shape(Json::parse(R"({"model": "m", "messages": [], "max_tokens": -1})"), true),
      http::ApiError);
  EXPECT_THROW(
      read_request_shape(
          Json::parse(R"({"model": "m", "messages": [], "provider": {"sort": "x"}})"), true),
      http::ApiError);
}

TEST(RequestShape, UpstreamBodyReplacesModelAndForcesUsage) {
  const Json body = Json::parse(
      R"({"model": "r1-8b", "models": ["x"], "provider": {}, "stream": true, "messages": []})");
  const Json up = Json::parse(upstream_body(body, "tiny", true));
  EXPECT_EQ(up["model"], "tiny");
  EXPECT_FALSE(up.contains("models"));
  EXPECT_FALSE(up.contains("provider"));
  EXPECT_EQ(up["stream_options"]["include_usage"], true);
  EXPECT_FALSE(Json::parse(upstream_body(body, "tiny", false)).contains("stream_options"));
}

// Found by fuzz/gateway_request_fuzz: a stream_options that is not an object (read as "no
// include_usage") made the tree path throw nlohmann's type_error, a 500, where the text path
// sends {"include_usage": true}. An escaped top-level key sends a body down the tree path.
TEST(RequestShape, UpstreamBodyReplacesAStreamOptionsThatIsNotAnObject) {
  for (const char* options : {"true", "1", "\"x\"", "[1]", "null"}) {
    const std::string text = std::string(R"({"model": "m", "stream": true, "\u0061": 1, )") +
                             R"("messages": [], "stream_options": )" + options + "}";
    SCOPED_TRACE(text);
    EXPECT_FALSE(upstream_body_text(text, "tiny", true));  // the escaped key
    const Json up = Json::parse(upstream_body(Json::parse(text), "tiny", true));
    EXPECT_EQ(up["stream_options"], Json({{"include_usage", true}}));
  }
}

TEST(RequestShape, UpstreamBodyCarriesTheReservedBound) {
  const auto both = [](const std::string& text, TokenBound bound) {
    const auto edited = upstream_body_text(text, "m", false, bound);
    EXPECT_TRUE(edited);
    const Json tree = Json::parse(upstream_body(Json::parse(text), "m", false, bound));
    EXPECT_EQ(Json::parse(edited.value_or("{}")), tree);
    return tree;
  };
  EXPECT_EQ(both(R"({"model":"p","messages":[]})", {4096, true})["max_tokens"], 4096);
  EXPECT_FALSE(both(R"({"model":"p","messages":[]})", {4096, false}).contains("max_tokens"));
  EXPECT_FALSE(both(R"({"model":"p","messages":[]})", {}).contains("max_tokens"));
  EXPECT_EQ(both(R"({"model":"p","max_tokens":null})", {64, true})["max_tokens"], 64);
  for (const char* n_predict : {"-1", "100000", "1e9", "18446744073709551615", "\"x\""}) {
    const Json up =
        both(std::string(R"({"model":"p","n_predict":)") + n_predict + "}", {64, false});
    EXPECT_EQ(up["n_predict"], 64) << n_predict;
  }
  EXPECT_EQ(both(R"({"model":"p","n_predict":8})", {64, false})["n_predict"], 8);
  EXPECT_EQ(both(R"({"model":"p","n_predict":64})", {64, false})["n_predict"], 64);
}

}  // namespace
}  // namespace junction::gateway
