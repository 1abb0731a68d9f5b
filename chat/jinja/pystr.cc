// Python str semantics over UTF-8 (see pystr.h).
#include "chat/jinja/pystr.h"

#include <utf8proc.h>

#include "chat/jinja/error.h"

namespace junction::jinja::pystr {

uint32_t next_code_point(std::string_view s, size_t& i) {
  unsigned char c = s[i];
  int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) {
    ++i;
    return c;
  }
  uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < n; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xC0) != 0x80) {
      ++i;
      return c;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  i += n;
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::vector<size_t> code_point_offsets(std::string_view s) {
  std::vector<size_t> out;
  size_t i = 0;
  while (i < s.size()) {
    out.push_back(i);
    next_code_point(s, i);
  }
  out.push_back(s.size());
  return out;
}

size_t length(std::string_view s) {
  size_t n = 0, i = 0;
  while (i < s.size()) next_code_point(s, i), ++n;
  return n;
}

bool is_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

namespace {

bool is_cased_letter(uint32_t cp) {
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
}

template <typename F>
std::string map_cps(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0, k = 0;
  while (i < s.size()) append_utf8(out, f(next_code_point(s, i), k++));
  return out;
}

uint32_t to_upper(uint32_t cp) {
  return static_cast<uint32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp)));
}
uint32_t to_lower(uint32_t cp) {
  return static_cast<uint32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
}

bool in_chars(uint32_t cp, const std::optional<std::string>& chars) {
  if (!chars) return is_space(cp);
  size_t i = 0;
  while (i < chars->size()) {
    if (next_code_point(*chars, i) == cp) return true;
  }
  return false;
}

}  // namespace

std::string upper(std::string_view s) {
  return map_cps(s, [](uint32_t c, size_t) { return to_upper(c); });
}
std::string lower(std::string_view s) {
  return map_cps(s, [](uint32_t c, size_t) { return to_lower(c); });
}
std::string capitalize(std::string_view s) {
  return map_cps(s, [](uint32_t c, size_t k) { return k == 0 ? to_upper(c) : to_lower(c); });
}

std::string title(std::string_view s) {
  bool prev_cased = false;
  return map_cps(s, [&](uint32_t c, size_t) {
    uint32_t r = prev_cased ? to_lower(c) : to_upper(c);
    prev_cased = is_cased_letter(c);
    return r;
  });
}

std::string strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                  bool right) {
  std::vector<size_t> off = code_point_offsets(s);
  size_t n = off.size() - 1, b = 0, e = n;
  auto cp_at = [&](size_t k) {
    size_t i = off[k];
    return next_code_point(s, i);
  };
  if (left) {
    while (b < e && in_chars(cp_at(b), chars)) ++b;
  }
  if (right) {
    while (e > b && in_chars(cp_at(e - 1), chars)) --e;
  }
  return std::string(s.substr(off[b], off[e] - off[b]));
}

std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    if (sep->empty()) throw ValueError("empty separator");
    size_t start = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      size_t p = s.find(*sep, start);
      if (p == std::string_view::npos) break;
      out.emplace_back(s.substr(start, p - start));
      start = p + sep->size();
    }
    out.emplace_back(s.substr(start));
    return out;
  }
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    uint32_t cp = next_code_point(s, j);
    if (is_space(cp)) {
      i = j;
      continue;
    }
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      // Rest of the string, with trailing whitespace stripped.
      out.push_back(strip(s.substr(i), std::nullopt, false, true));
      return out;
    }
    size_t start = i;
    while (i < s.size()) {
      size_t k = i;
      if (is_space(next_code_point(s, k))) break;
      i = k;
    }
    out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<std::string> rsplit(std::string_view s, const std::optional<std::string>& sep,
                                int64_t maxsplit) {
  if (maxsplit < 0 || !sep) {
    if (maxsplit < 0) return split(s, sep, -1);
  }
  std::vector<std::string> out;
  if (sep) {
    if (sep->empty()) throw ValueError("empty separator");
    size_t end = s.size();
    while (static_cast<int64_t>(out.size()) < maxsplit) {
      if (end < sep->size()) break;
      size_t p = s.rfind(*sep, end - sep->size());
      if (p == std::string_view::npos) break;
      out.emplace_back(s.substr(p + sep->size(), end - p - sep->size()));
      end = p;
    }
    out.emplace_back(s.substr(0, end));
  } else {
    std::vector<std::string> all = split(s, std::nullopt, -1);
    // Approximation: whitespace rsplit with a limit joins the leading words back with spaces.
    size_t keep = all.size() > static_cast<size_t>(maxsplit) ? all.size() - maxsplit : 0;
    if (keep == 0) return all;
    std::string head = strip(s, std::nullopt, true, false);
    for (size_t k = all.size(); k > keep; --k) out.push_back(all[k - 1]);
    // head up to the start of all[keep]
    size_t pos = 0;
    for (size_t k = 0; k < keep; ++k) pos = head.find(all[k], pos) + all[k].size();
    out.push_back(head.substr(0, pos));
  }
  return {out.rbegin(), out.rend()};
}

std::vector<std::string> splitlines(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0, i = 0;
  while (i < s.size()) {
    size_t j = i;
    uint32_t cp = next_code_point(s, j);
    bool brk = cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || (cp >= 0x1C && cp <= 0x1E) ||
               cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (brk) {
      out.emplace_back(s.substr(start, i - start));
      if (cp == '\r' && j < s.size() && s[j] == '\n') ++j;
      start = j;
    }
    i = j;
  }
  if (start < s.size()) out.emplace_back(s.substr(start));
  return out;
}

std::string replace(std::string_view s, std::string_view old, std::string_view repl, int64_t count,
                    size_t max_bytes) {
  std::string out;
  auto check = [&] {
    if (out.size() > max_bytes) throw ValueError("string grows past the output limit");
  };
  if (old.empty()) {
    // Python inserts repl before every code point and at the end.
    std::vector<size_t> off = code_point_offsets(s);
    int64_t done = 0;
    for (size_t k = 0; k + 1 < off.size(); ++k) {
      if (count < 0 || done < count) out += repl, ++done;
      out += s.substr(off[k], off[k + 1] - off[k]);
      check();
    }
    if (count < 0 || done < count) out += repl;
    check();
    return out;
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t p = s.find(old, start);
    if (p == std::string_view::npos) break;
    out += s.substr(start, p - start);
    out += repl;
    check();
    start = p + old.size();
    ++done;
  }
  out += s.substr(start);
  check();
  return out;
}

int64_t find(std::string_view s, std::string_view sub, bool reverse) {
  size_t p = reverse ? s.rfind(sub) : s.find(sub);
  if (p == std::string_view::npos) return -1;
  return static_cast<int64_t>(length(s.substr(0, p)));
}

int64_t count(std::string_view s, std::string_view sub) {
  if (sub.empty()) return static_cast<int64_t>(length(s)) + 1;
  int64_t n = 0;
  size_t p = 0;
  while ((p = s.find(sub, p)) != std::string_view::npos) ++n, p += sub.size();
  return n;
}

}  // namespace junction::jinja::pystr
