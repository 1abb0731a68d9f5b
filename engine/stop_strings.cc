#include "engine/stop_strings.h"

#include <algorithm>

namespace junction {

StopStrings::StopStrings(std::vector<std::string> stops) : stops_(std::move(stops)) {
  for (const auto& s : stops_) max_stop_ = std::max(max_stop_, s.size());
}

std::string StopStrings::add(std::string_view piece) {
  if (matched_ || piece.empty()) return {};
  // A new match ends inside the new piece, so it starts at most max_stop_ - 1 bytes before it.
  const size_t search_from = text_.size() >= max_stop_ ? text_.size() - max_stop_ + 1 : 0;
  text_ += piece;
  size_t cut = std::string::npos;
  for (const auto& s : stops_) cut = std::min(cut, text_.find(s, std::min(search_from, released_)));
  if (cut != std::string::npos) {
    text_.resize(cut);
    matched_ = true;
    return flush();
  }
  // Release all but what could be the start of a stop string, on a UTF-8 boundary.
  size_t safe = text_.size() - std::min(text_.size(), max_stop_ ? max_stop_ - 1 : 0);
  while (safe > released_ && safe < text_.size() &&
         (static_cast<unsigned char>(text_[safe]) & 0xC0) == 0x80)
    --safe;
  if (safe <= released_) return {};
  std::string out = text_.substr(released_, safe - released_);
  released_ = safe;
  return out;
}

std::string StopStrings::flush() {
  std::string out = released_ < text_.size() ? text_.substr(released_) : std::string();
  released_ = text_.size();
  return out;
}

}  // namespace junction
