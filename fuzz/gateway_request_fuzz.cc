// libFuzzer target: a client's request body as the gateway reads it before anything goes
// upstream (gateway/admission.cc, and upstream_attempt.cc's upstream_request_body): parsed
// (http/json_body.h), its shape read for chat and for completions, the credit reservation sized
// from it at two prices, the body rewritten for an OpenAI-compatible upstream (as a tree and in
// the client's text) and translated for an Anthropic one. Each step must succeed or throw
// ApiError (a 4xx naming the field); a crash, another exception or a sanitizer report is a bug.
//   build-fuzz/fuzz/gateway_request_fuzz -max_len=1048576 -len_control=0 -max_total_time=600
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gateway/anthropic_request.h"
#include "gateway/request_shape.h"
#include "gateway/reservation_size.h"
#include "http/api_error.h"
#include "http/json_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace junction;
  using namespace junction::gateway;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json body;
  try {
    body = http::parse_json_body(text);
  } catch (const http::ApiError&) {
    return 0;
  }
  for (const bool chat : {true, false}) {
    try {
      const RequestShape shape = read_request_shape(body, chat);
      const ReservationSize r =
          size_reservation(shape, {8192, 4096}, {{1000, 1000, -1}, {0.1, 2, 0.05}});
      TokenBound bound;
      bound.max_tokens = r.max_tokens;
      bound.add_max_tokens = r.write_max_tokens;
      (void)upstream_body(body, "upstream-model", shape.stream, bound);
      (void)upstream_body_text(text, "upstream-model", shape.stream, bound);
      if (chat) (void)anthropic_request(body, {"claude", shape.stream, 1024}).dump();
    } catch (const http::ApiError&) {
    }
  }
  return 0;
}
