// libFuzzer target: the api layer's inbound translations on arbitrary bytes, the bodies a client
// sends to POST /v1/messages, /v1/messages/count_tokens and /v1/responses. Each must either give
// a chat request or throw ApiError (a 400 naming the field); anything else (another exception, a
// crash, a sanitizer report) is a bug. A Responses request is translated twice: alone, and after
// the first translation's conversation as its history (what previous_response_id continues).
//   build-fuzz/fuzz/api_request_fuzz -max_len=1048576 -max_total_time=600
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/messages_request.h"
#include "api/responses_request.h"
#include "http/api_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  using namespace junction::api;
  for (const MessagesEndpoint endpoint :
       {MessagesEndpoint::kMessages, MessagesEndpoint::kCountTokens}) {
    try {
      (void)parse_messages_request(body, endpoint).dump();
    } catch (const junction::http::ApiError&) {
    }
  }
  try {
    const ResponsesRequest request = parse_responses_request(body);
    const ResponsesChat first =
        chat_request_from_responses(request, nlohmann::ordered_json::array());
    (void)first.chat.dump();
    (void)chat_request_from_responses(request, first.conversation).chat.dump();
  } catch (const junction::http::ApiError&) {
  }
  return 0;
}
