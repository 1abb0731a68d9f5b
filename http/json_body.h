// A request body parsed as JSON with its nesting bounded (core/json_depth.h) and no object
// holding the same key twice, or the 400 a client is answered: the server and the gateway parse
// every body through this.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/json_depth.h"
#include "http/api_error.h"

namespace junction::http {

// 400 invalid_json, in OpenAI's words.
ApiError invalid_json_error();
// 400 json_too_deep: the body nests arrays/objects deeper than `max_depth`.
ApiError json_too_deep_error(int max_depth);
// 400 duplicate_key: one object of the body names `key` twice.
ApiError duplicate_key_error(const std::string& key);

// `body` parsed; throws invalid_json_error(), json_too_deep_error() or duplicate_key_error().
// The depth is checked before the parser builds anything, so a hostile body costs one linear
// scan. Duplicate keys are refused because the gateway forwards the body byte for byte: the
// parsers downstream disagree on which of two values wins (nlohmann's map keeps the last, its
// ordered_map the first, others either), so a client could be billed and capped on one
// `max_tokens` while the upstream generates to the other. Keys compare after unescaping, so
// "a" and "\u0061" are the same key.
template <class Json = nlohmann::json>
Json parse_json_body(std::string_view body, int max_depth = kMaxJsonDepth) {
  if (json_deeper_than(body, max_depth)) throw json_too_deep_error(max_depth);
  // The keys seen so far in each object still open, innermost last; at most max_depth deep.
  std::vector<std::unordered_set<std::string>> open_objects;
  const auto check_keys = [&open_objects](int /*depth*/, typename Json::parse_event_t event,
                                          Json& parsed) {
    using Event = typename Json::parse_event_t;
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Event::key && !open_objects.empty()) {
      std::string key = parsed.template get<std::string>();
      if (!open_objects.back().insert(key).second) throw duplicate_key_error(key);
    }
    return true;
  };
  Json j = Json::parse(body, check_keys, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw invalid_json_error();
  return j;
}

}  // namespace junction::http
