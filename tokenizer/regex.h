// A compiled PCRE2 pattern (UTF + UCP, JIT when available) for the tokenizer's Split
// pre-tokenizer and Replace normalizer/decoder. Immutable after construction, so one instance
// serves concurrent callers; each call allocates its own match data.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace junction::tokenizer {

class Regex {
 public:
  // Throws junction::Error naming `pattern` if it does not compile.
  explicit Regex(std::string_view pattern);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Appends [begin, end) byte ranges of the successive non-overlapping matches in `text`
  // (valid UTF-8). An empty match advances by one character, as Oniguruma's find_iter does.
  // If PCRE2 gives up (match limits), the rest of the text is reported as not matching.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

  // Escapes `literal` so it matches itself.
  static std::string escape(std::string_view literal);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace junction::tokenizer
