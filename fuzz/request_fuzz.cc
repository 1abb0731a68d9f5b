// libFuzzer target: every OpenAI request parser on arbitrary bytes. Each must either return a
// struct or throw ApiError (a 4xx for the client); anything else (a crash, another exception,
// a sanitizer report) is a bug.
// libFuzzer's default -max_len (4096 bytes) nests at most 2,048 levels, too shallow to overflow a
// stack: bodies nested 400,000 deep (issue 16) are tests/http/json_body_test.cc's and
// tests/gateway/deep_json_process_test.cc's. To fuzz the parsers at that size too:
//   build-fuzz/fuzz/request_fuzz -max_len=1000000 -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/api_error.h"
#include "server/openai_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  using namespace junction::server;
  try {
    parse_chat_request(body);
  } catch (const junction::http::ApiError&) {
  }
  try {
    parse_completion_request(body);
  } catch (const junction::http::ApiError&) {
  }
  try {
    parse_tokenize_request(body);
  } catch (const junction::http::ApiError&) {
  }
  try {
    parse_detokenize_request(body);
  } catch (const junction::http::ApiError&) {
  }
  return 0;
}
