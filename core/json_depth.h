// JSON from outside (request bodies, upstream answers and stream events, downloaded model files)
// with its nesting bounded before anything walks it. nlohmann's parser is iterative, but copying,
// dumping and comparing a tree recurse once per level: 400,000 nested
// arrays in an 800 KB body overflow the stack. So the text is scanned for depth first (linear, no
// allocation) and only then parsed.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace junction {

// Deepest nesting of arrays and objects accepted ([] is depth 1). OpenAI-shaped requests use
// about 6 levels (messages[].content[].image_url.url) and the deepest JSON Schemas in tools and
// response_format a few dozen; 128 is serde_json's default recursion limit, and 128 recursive
// frames of nlohmann's copy or dump (~200 bytes each) fit any thread stack.
inline constexpr int kMaxJsonDepth = 128;

// True when `text` opens more than `max_depth` arrays/objects without closing them. Brackets
// inside strings (escapes included) do not count. Exact for valid JSON; for invalid JSON the
// parser refuses the text anyway.
bool json_deeper_than(std::string_view text, int max_depth = kMaxJsonDepth);

// Throws Error("<what>: JSON nested deeper than N levels") when json_deeper_than.
void check_json_depth(std::string_view text, const std::string& what,
                      int max_depth = kMaxJsonDepth);

// `text` parsed, or a discarded value (is_discarded()) when it is not JSON or nests deeper than
// `max_depth`. Never throws.
template <class Json = nlohmann::json>
Json parse_json(std::string_view text, int max_depth = kMaxJsonDepth) {
  if (json_deeper_than(text, max_depth)) return Json(Json::value_t::discarded);
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace junction
