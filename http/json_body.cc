#include "http/json_body.h"

#include <string>

namespace junction::http {

ApiError invalid_json_error() {
  return ApiError(400,
                  "We could not parse the JSON body of your request. (HINT: This likely means "
                  "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                  "payload, but what was sent was not valid JSON.)",
                  "invalid_request_error", "", "invalid_json");
}

ApiError json_too_deep_error(int max_depth) {
  return ApiError(400,
                  "The JSON body of your request nests arrays and objects more than " +
                      std::to_string(max_depth) + " levels deep.",
                  "invalid_request_error", "", "json_too_deep");
}

ApiError duplicate_key_error(const std::string& key) {
  // The key is the client's own text; a long one is cut so the answer stays small.
  const std::string shown = key.size() > 64 ? key.substr(0, 64) + "..." : key;
  return ApiError(400,
                  "The JSON body of your request names the key '" + shown +
                      "' twice in one object; each key may appear only once.",
                  "invalid_request_error", "", "duplicate_key");
}

}  // namespace junction::http
