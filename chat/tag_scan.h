// Helpers shared by the streaming parsers: how much of a buffer can be released now, given the
// tags that might begin in its tail.
#pragma once

#include <string_view>
#include <vector>

namespace junction::chat {

// Length of the longest suffix of `text` that is a proper prefix of one of `tags`.
size_t partial_tag_suffix(std::string_view text, const std::vector<std::string_view>& tags);

inline bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// `end` moved back over ASCII whitespace.
inline size_t trim_end(std::string_view text, size_t end) {
  while (end > 0 && is_ascii_space(text[end - 1])) --end;
  return end;
}

}  // namespace junction::chat
