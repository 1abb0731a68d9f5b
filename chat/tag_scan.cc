// Partial-tag detection for the streaming parsers.
#include "chat/tag_scan.h"

namespace junction::chat {

size_t partial_tag_suffix(std::string_view text, const std::vector<std::string_view>& tags) {
  size_t best = 0;
  for (std::string_view tag : tags) {
    size_t max_len = std::min(text.size(), tag.size() - 1);
    for (size_t len = max_len; len > best; --len) {
      if (text.substr(text.size() - len) == tag.substr(0, len)) {
        best = len;
        break;
      }
    }
  }
  return best;
}

}  // namespace junction::chat
