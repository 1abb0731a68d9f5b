// Streaming detokenizer; see incremental_detokenizer.h.
#include "tokenizer/incremental_detokenizer.h"

#include <span>

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

// A window longer than this while bytes are still held is trimmed from the front, so a stream
// that keeps ending on incomplete characters stays O(1) per token.
constexpr size_t kMaxHeldWindow = 8;

}  // namespace

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(&tokenizer), skip_special_tokens_(skip_special_tokens) {}

std::string IncrementalDetokenizer::add(int32_t id) {
  // Ids that decode() drops must not even split a run of byte tokens.
  if (skip_special_tokens_ && tokenizer_->is_special(id)) return "";
  if (tokenizer_->id_to_token(id).empty()) return "";
  window_.push_back(id);
  size_t m = window_.size();  // ids [0, m) have text that later ids cannot change
  while (m > 0 && tokenizer_->is_byte_fallback_token(window_[m - 1])) --m;
  if (m == 0) return "";
  const std::span<const int32_t> stable(window_.data(), m);
  const std::string bytes = tokenizer_->decode_bytes(stable, skip_special_tokens_, first_);
  std::string out;
  if (bytes.size() > emitted_) {
    emitted_ += utf8_decode_lossy_prefix(std::string_view(bytes).substr(emitted_), out);
  }
  if (emitted_ >= bytes.size()) {
    window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(m));
    first_ = false;
    emitted_ = 0;
    return out;
  }
  if (m > kMaxHeldWindow) {
    // Restart the window at the latest id whose continuation decoding reproduces the held
    // tail; checked byte for byte, so an id inside a byte run is never picked wrongly.
    const size_t held = bytes.size() - emitted_;
    for (size_t j = m - 1; j > 0; --j) {
      const std::string tail = tokenizer_->decode_bytes(
          std::span<const int32_t>(window_.data() + j, m - j), skip_special_tokens_, false);
      if (tail.size() < held) continue;
      if (std::string_view(bytes).substr(bytes.size() - tail.size()) == tail) {
        window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(j));
        first_ = false;
        emitted_ = tail.size() - held;
      }
      break;
    }
  }
  return out;
}

std::string IncrementalDetokenizer::finish() {
  const std::string bytes = tokenizer_->decode_bytes(window_, skip_special_tokens_, first_);
  std::string out =
      bytes.size() > emitted_ ? utf8_sanitize(std::string_view(bytes).substr(emitted_)) : "";
  window_.clear();
  first_ = true;
  emitted_ = 0;
  return out;
}

}  // namespace junction::tokenizer
