// Literal or regex pattern; see pattern.h.
#include "tokenizer/pattern.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace junction::tokenizer {

Pattern::Pattern(const nlohmann::json& json, const std::string& where) {
  if (json.is_object() && json.contains("String") && json["String"].is_string()) {
    literal_ = json["String"].get<std::string>();
  } else if (json.is_object() && json.contains("Regex") && json["Regex"].is_string()) {
    regex_ = std::make_unique<Regex>(json["Regex"].get<std::string>());
  } else if (json.is_string()) {
    literal_ = json.get<std::string>();
  } else {
    throw Error(where + ": pattern must be {\"String\": ...} or {\"Regex\": ...}");
  }
}

Pattern Pattern::literal(std::string text) {
  Pattern p;
  p.literal_ = std::move(text);
  return p;
}

void Pattern::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  if (regex_) {
    regex_->find_all(text, out);
    return;
  }
  if (literal_.empty()) return;  // HF's empty-string pattern matches nothing useful
  for (size_t pos = text.find(literal_); pos != std::string_view::npos;
       pos = text.find(literal_, pos + literal_.size())) {
    out.emplace_back(pos, pos + literal_.size());
  }
}

std::string Pattern::replace_all(std::string_view text, std::string_view content) const {
  std::vector<std::pair<size_t, size_t>> matches;
  find_all(text, matches);
  if (matches.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t prev = 0;
  for (const auto& [begin, end] : matches) {
    out.append(text.substr(prev, begin - prev));
    out.append(content);
    prev = end;
  }
  out.append(text.substr(prev));
  return out;
}

}  // namespace junction::tokenizer
