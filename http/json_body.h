// A request body parsed as JSON with its nesting bounded (core/json_depth.h), or the 400 a
// client is answered: the server and the gateway parse every body through this.
#pragma once

#include <string_view>

#include "core/json_depth.h"
#include "http/api_error.h"

namespace junction::http {

// 400 invalid_json, in OpenAI's words.
ApiError invalid_json_error();
// 400 json_too_deep: the body nests arrays/objects deeper than `max_depth`.
ApiError json_too_deep_error(int max_depth);

// `body` parsed; throws invalid_json_error() or json_too_deep_error(). The depth is checked
// before the parser builds anything, so a hostile body costs one linear scan.
template <class Json = nlohmann::json>
Json parse_json_body(std::string_view body, int max_depth = kMaxJsonDepth) {
  if (json_deeper_than(body, max_depth)) throw json_too_deep_error(max_depth);
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw invalid_json_error();
  return j;
}

}  // namespace junction::http
