// UTF-8 validation and lossy decoding; see utf8.h.
#include "tokenizer/utf8.h"

#include <cstdint>

namespace junction::tokenizer {
namespace {

// How many bytes a character starting with `lead` needs and the allowed range of its second
// byte (the later ones are always 80..BF). Ranges exclude overlongs, surrogates and > U+10FFFF,
// which is what makes "maximal subpart" well defined.
struct LeadInfo {
  uint8_t len;  // 0: the byte can never start a character
  uint8_t lo;
  uint8_t hi;
};

LeadInfo lead_info(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Number of bytes at s[pos] that form a valid prefix of a character (1..len), and whether the
// full character is present.
size_t valid_prefix(std::string_view s, size_t pos, LeadInfo info) {
  size_t n = 1;
  while (n < info.len && pos + n < s.size()) {
    const auto c = static_cast<uint8_t>(s[pos + n]);
    const uint8_t lo = n == 1 ? info.lo : 0x80;
    const uint8_t hi = n == 1 ? info.hi : 0xBF;
    if (c < lo || c > hi) break;
    ++n;
  }
  return n;
}

}  // namespace

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t utf8_valid_len(std::string_view s, size_t pos) {
  const LeadInfo info = lead_info(static_cast<uint8_t>(s[pos]));
  if (info.len <= 1) return info.len;
  const size_t n = valid_prefix(s, pos, info);
  return n == info.len ? n : 0;
}

char32_t utf8_decode(std::string_view s, size_t pos, size_t len) {
  static constexpr uint8_t kLeadMask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  char32_t cp = static_cast<uint8_t>(s[pos]) & kLeadMask[len];
  for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (static_cast<uint8_t>(s[pos + i]) & 0x3F);
  return cp;
}

size_t utf8_decode_lossy_prefix(std::string_view bytes, std::string& out) {
  size_t pos = 0;
  size_t run_start = 0;  // start of the pending run of valid bytes, copied in one append
  while (pos < bytes.size()) {
    const LeadInfo info = lead_info(static_cast<uint8_t>(bytes[pos]));
    if (info.len == 1) {
      ++pos;
      continue;
    }
    const size_t n = info.len == 0 ? 1 : valid_prefix(bytes, pos, info);
    if (info.len != 0 && n == info.len) {
      pos += n;
      continue;
    }
    if (info.len != 0 && pos + n == bytes.size()) break;  // may still be completed
    out.append(bytes.substr(run_start, pos - run_start));
    out.append(kReplacementChar);
    pos += n;
    run_start = pos;
  }
  out.append(bytes.substr(run_start, pos - run_start));
  return pos;
}

std::string utf8_sanitize(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  if (utf8_decode_lossy_prefix(bytes, out) != bytes.size()) out.append(kReplacementChar);
  return out;
}

bool utf8_is_valid(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t n = utf8_valid_len(bytes, pos);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

}  // namespace junction::tokenizer
