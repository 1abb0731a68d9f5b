#include "gateway/json_members.h"

#include <cctype>

namespace junction::gateway {
namespace {

constexpr int kMaxDepth = 512;  // nesting deeper than this is refused rather than recursed into

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool at_end() const { return i_ >= s_.size(); }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  // A string starting at '"'; `escaped` tells whether it holds a backslash escape.
  bool string(bool* escaped = nullptr) {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (escaped) *escaped = true;
        if (++i_ >= s_.size()) return false;
        const char e = s_[i_++];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k, ++i_)
            if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) return false;
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
        continue;
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      if (!utf8_sequence()) return false;
    }
    return false;
  }

  bool value(int depth) {
    if (depth > kMaxDepth || at_end()) return false;
    switch (s_[i_]) {
      case '{':
        return object(depth, nullptr);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  // An object; its members recorded into `members` when given (the top level).
  bool object(int depth, std::vector<JsonMember>* members) {
    if (!eat('{')) return false;
    skip_space();
    if (eat('}')) return true;
    for (;;) {
      skip_space();
      const size_t key_begin = i_;
      bool escaped = false;
      if (!string(&escaped)) return false;
      const std::string_view key = s_.substr(key_begin + 1, i_ - key_begin - 2);
      skip_space();
      if (!eat(':')) return false;
      skip_space();
      const size_t value_begin = i_;
      if (!value(depth + 1)) return false;
      if (members) members->push_back({key, value_begin, i_, escaped});
      skip_space();
      if (eat('}')) return true;
      if (!eat(',')) return false;
    }
  }

 private:
  bool array(int depth) {
    if (!eat('[')) return false;
    skip_space();
    if (eat(']')) return true;
    for (;;) {
      skip_space();
      if (!value(depth + 1)) return false;
      skip_space();
      if (eat(']')) return true;
      if (!eat(',')) return false;
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  bool digits() {
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;
  }

  bool number() {
    eat('-');
    if (eat('0')) {
      // no leading zeros
    } else if (i_ < s_.size() && s_[i_] >= '1' && s_[i_] <= '9') {
      digits();
    } else {
      return false;
    }
    if (eat('.') && !digits()) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }

  // One multi-byte UTF-8 sequence at i_ (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
  bool utf8_sequence() {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s_[i_ + k]); };
    const unsigned char c = b(0);
    int n;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i_ + n > s_.size()) return false;
    if (b(1) < lo || b(1) > hi) return false;
    for (int k = 2; k < n; ++k)
      if (b(k) < 0x80 || b(k) > 0xBF) return false;
    i_ += n;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::optional<std::vector<JsonMember>> top_level_members(std::string_view text) {
  Scanner scan(text);
  std::vector<JsonMember> members;
  scan.skip_space();
  if (!scan.object(0, &members)) return std::nullopt;
  scan.skip_space();
  if (!scan.at_end()) return std::nullopt;
  return members;
}

std::string edit_members(std::string_view text, const std::vector<JsonMember>& members,
                         const std::vector<MemberEdit>& edits) {
  const auto edit_of = [&](std::string_view key) -> const MemberEdit* {
    for (const auto& e : edits)
      if (e.first == key) return &e;
    return nullptr;
  };
  std::string out;
  out.reserve(text.size() + 256);
  // The object's opening brace and whatever precedes it.
  const size_t open = text.find('{');
  out.append(text.substr(0, open + 1));
  bool first = true;
  std::vector<bool> seen(edits.size(), false);
  for (const JsonMember& m : members) {
    const MemberEdit* e = m.key_escaped ? nullptr : edit_of(m.key);
    if (e) seen[static_cast<size_t>(e - edits.data())] = true;
    if (e && !e->second) continue;  // removed
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    out.append(m.key);
    out.append("\":");
    if (e)
      out.append(*e->second);
    else
      out.append(text.substr(m.value_begin, m.value_end - m.value_begin));
  }
  for (size_t k = 0; k < edits.size(); ++k) {
    if (seen[k] || !edits[k].second) continue;
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    out.append(edits[k].first);
    out.append("\":");
    out.append(*edits[k].second);
  }
  out.push_back('}');
  return out;
}

}  // namespace junction::gateway
