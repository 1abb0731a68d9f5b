#include "engine/reasoning_tokens.h"

#include <algorithm>

namespace junction {

void ReasoningTokenCounter::add_token(std::string_view text_so_far) {
  static constexpr std::string_view kOpen = "<think>";
  static constexpr std::string_view kClose = "</think>";
  if (!decided_) {
    const size_t lead = text_so_far.find_first_not_of(" \t\r\n");
    if (lead != std::string_view::npos) {
      const std::string_view rest = text_so_far.substr(lead);
      if (rest.starts_with(kOpen)) {
        in_reasoning_ = decided_ = true;
      } else if (!kOpen.starts_with(rest)) {
        decided_ = true;
        n_ = 0;  // the whitespace before a plain answer was not reasoning
      }
    }
  }
  if (!in_reasoning_ && decided_) return;
  ++n_;
  // Only the new bytes (and the few before them a split tag may start in) are searched: a
  // long reasoning is scanned once, not once per token.
  const size_t from = scanned_ >= kClose.size() ? scanned_ - (kClose.size() - 1) : 0;
  if (text_so_far.find(kClose, std::min(from, text_so_far.size())) != std::string_view::npos)
    in_reasoning_ = false;
  scanned_ = text_so_far.size();
}

}  // namespace junction
