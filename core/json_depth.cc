#include "core/json_depth.h"

#include "core/error.h"

namespace junction {

bool json_deeper_than(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character, a quote or a backslash included, is not structure
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

void check_json_depth(std::string_view text, const std::string& what, int max_depth) {
  if (json_deeper_than(text, max_depth))
    throw Error(what + ": JSON nested deeper than " + std::to_string(max_depth) + " levels");
}

}  // namespace junction
