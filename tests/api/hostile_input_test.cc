// Hostile input to every translation: each value of valid requests and answers (and the
// documents themselves) replaced in turn by every JSON type, plus bodies cut at every byte. A
// request may only be refused with http::ApiError, an answer only with std::runtime_error, and a
// stream translator never throws (a bad chunk is an error event).
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/messages_request.h"
#include "api/messages_response.h"
#include "api/messages_stream.h"
#include "api/responses_request.h"
#include "api/responses_response.h"
#include "api/responses_stream.h"
#include "http/api_error.h"

namespace junction::api {
namespace {

using Json = nlohmann::ordered_json;

const char* const kMessagesBody =
    R"({"model":"m","max_tokens":8,"system":[{"type":"text","text":"s"}],
  "stream":true,"stop_sequences":["x"],"metadata":{"user_id":"u"},"temperature":0.5,"top_k":3,
  "thinking":{"type":"enabled","budget_tokens":1024},"tool_choice":{"type":"tool","name":"f"},
  "tools":[{"name":"f","description":"d","input_schema":{"type":"object"}}],
  "messages":[{"role":"user","content":[{"type":"text","text":"a"},
    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}}]},
  {"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},
    {"type":"redacted_thinking","data":"d"},{"type":"text","text":"b"},
    {"type":"tool_use","id":"i","name":"f","input":{"k":1}}]},
  {"role":"user","content":[{"type":"tool_result","tool_use_id":"i","content":[{"type":"text","text":"r"}],"is_error":true}]}]})";

const char* const kResponsesBody = R"({"model":"m","instructions":"i","max_output_tokens":8,
  "stream":true,"store":false,"previous_response_id":"resp_x","temperature":0,"top_p":1,
  "parallel_tool_calls":false,"user":"u","reasoning":{"effort":"low"},
  "text":{"format":{"type":"json_schema","name":"n","schema":{"type":"object"},"strict":true}},
  "tool_choice":{"type":"function","name":"f"},
  "tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object"},"strict":true}],
  "input":[{"role":"developer","content":"d"},
    {"type":"message","role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"data:x"}]},
    {"type":"reasoning","summary":[{"type":"summary_text","text":"s"}],"content":[{"type":"reasoning_text","text":"r"}]},
    {"type":"message","role":"assistant","content":[{"type":"output_text","text":"o"},{"type":"refusal","refusal":"no"}]},
    {"type":"function_call","call_id":"c","name":"f","arguments":"{}"},
    {"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"x"}]}]})";

const char* const kCompletion = R"({"id":"chatcmpl-a","created":1,"model":"m","choices":[{"index":0,
  "message":{"role":"assistant","content":"c","reasoning_content":"r","reasoning_details":[
  {"type":"reasoning.text","text":"r","signature":"s"},{"type":"reasoning.encrypted","data":"d"}],
  "tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},
  "finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":2,
  "prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":1}}})";

const char* const kChunk = R"({"id":"chatcmpl-a","created":1,"model":"m","choices":[{"index":0,
  "delta":{"content":"c","reasoning_content":"r","reasoning_details":[{"type":"reasoning.text",
  "signature":"s"}],"tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":"{"}}]},
  "finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}})";

// Every variant of `doc` with one value (at any depth) replaced by each JSON type.
std::vector<Json> variants(const Json& doc) {
  const std::vector<Json> replacements = {
      nullptr, 1, -1, 1.5, "s", true, Json::array(), Json::object(), Json::array({1, "x"})};
  std::vector<Json> out;
  const Json flat = doc.flatten();  // kept: items() of a temporary would dangle
  for (const auto& [pointer, value] : flat.items()) {
    (void)value;
    // Each prefix of the path: the leaf and every container above it.
    for (std::string p = pointer; !p.empty(); p = p.substr(0, p.rfind('/'))) {
      for (const Json& r : replacements) {
        Json v = doc;
        v[Json::json_pointer(p)] = r;
        out.push_back(std::move(v));
      }
    }
  }
  for (const Json& r : replacements) out.push_back(r);
  return out;
}

// Every prefix of the text (cut bodies).
std::vector<std::string> prefixes(const std::string& text) {
  std::vector<std::string> out;
  for (size_t n = 0; n < text.size(); ++n) out.push_back(text.substr(0, n));
  return out;
}

void expect_only_api_errors(const std::function<void()>& f, const std::string& input) {
  try {
    f();
  } catch (const http::ApiError& e) {
    EXPECT_GE(e.status, 400) << input;
    EXPECT_LT(e.status, 500) << input;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected " << e.what() << " on " << input;
  }
}

TEST(HostileInput, MessagesRequestsAreAnsweredOrRefusedWith4xx) {
  std::vector<std::string> bodies = prefixes(kMessagesBody);
  for (const Json& v : variants(Json::parse(kMessagesBody))) bodies.push_back(v.dump());
  for (const std::string& b : bodies)
    for (auto endpoint : {MessagesEndpoint::kMessages, MessagesEndpoint::kCountTokens})
      expect_only_api_errors([&] { parse_messages_request(b, endpoint); }, b);
}

TEST(HostileInput, ResponsesRequestsAreAnsweredOrRefusedWith4xx) {
  std::vector<std::string> bodies = prefixes(kResponsesBody);
  for (const Json& v : variants(Json::parse(kResponsesBody))) bodies.push_back(v.dump());
  const Json history = Json::parse(R"([{"role":"user","content":"h"}])");
  for (const std::string& b : bodies)
    expect_only_api_errors(
        [&] { chat_request_from_responses(parse_responses_request(b), history); }, b);
}

TEST(HostileInput, AnswersAreTranslatedOrRefusedWithRuntimeError) {
  for (const Json& v : variants(Json::parse(kCompletion))) {
    for (auto translate : std::vector<std::function<void()>>{
             [&] { message_from_chat(v); },
             [&] { response_from_chat(v, Json::parse(kResponsesBody)); }}) {
      try {
        translate();
      } catch (const std::runtime_error&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << "unexpected " << e.what() << " on " << v.dump();
      }
    }
  }
}

TEST(HostileInput, StreamTranslatorsNeverThrow) {
  std::vector<std::string> chunks = prefixes(kChunk);
  for (const Json& v : variants(Json::parse(kChunk))) chunks.push_back(v.dump());
  for (const std::string& c : chunks) {
    MessagesStream m;
    ResponsesStream r(Json::parse(kResponsesBody));
    // Each chunk twice (a block reopened), then the end.
    for (const std::string& data : {c, c, std::string("[DONE]")}) {
      EXPECT_NO_THROW(m.on_data(data)) << c;
      EXPECT_NO_THROW(r.on_data(data)) << c;
    }
    EXPECT_TRUE(m.ended());
    EXPECT_TRUE(r.ended());
  }
}

}  // namespace
}  // namespace junction::api
