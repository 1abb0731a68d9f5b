// What HF tokenizer.json calls a pattern: {"String": "..."} (a literal) or {"Regex": "..."}.
// Used by the Split pre-tokenizer and the Replace normalizer and decoder.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/regex.h"

namespace junction::tokenizer {

class Pattern {
 public:
  // `json` is the pattern object; `where` names the field for error messages.
  Pattern(const nlohmann::json& json, const std::string& where);
  static Pattern literal(std::string text);

  // Appends [begin, end) ranges of the non-overlapping matches in `text`.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

  // `text` with every match replaced by `content`.
  std::string replace_all(std::string_view text, std::string_view content) const;

 private:
  Pattern() = default;
  std::string literal_;
  std::unique_ptr<Regex> regex_;  // null for a literal
};

}  // namespace junction::tokenizer
