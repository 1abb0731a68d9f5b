#include "eval/math_answer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "eval/generative_choice.h"

namespace junction::eval {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Every `from` replaced, left to right, matches not overlapping. The result is built anew:
// replacing in place moved the rest of the text at every match (quadratic on a megabyte of '%').
void replace_all(std::string& s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  if (at == std::string::npos) return;
  std::string out;
  out.reserve(s.size());
  size_t done = 0;
  for (; at != std::string::npos; at = s.find(from, done)) {
    out.append(s, done, at - done).append(to);
    done = at + from.size();
  }
  out.append(s, done, std::string::npos);
  s = std::move(out);
}

// The index just past the brace group opening at text[open] ('{'), or npos when it never closes.
size_t close_of_group(const std::string& text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      ++i;  // an escaped brace (\{) does not nest
      continue;
    }
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) return i + 1;
  }
  return std::string::npos;
}

// For each '{' of `text`, the index just past the '}' closing it (close_of_group's answer), or
// npos; one scan for all of them.
std::vector<size_t> group_ends(const std::string& text) {
  std::vector<size_t> end(text.size(), std::string::npos), open;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      ++i;  // an escaped brace (\{) does not nest
      continue;
    }
    if (text[i] == '{') {
      open.push_back(i);
    } else if (text[i] == '}' && !open.empty()) {
      end[open.back()] = i + 1;
      open.pop_back();
    }
  }
  return end;
}

// Removes every `\cmd{...}` group, left to right: keeps its content (`keep`; groups of the same
// command inside it go the same way) or drops it whole. The text from a group that never closes
// on stays as it is. One pass with every group's end found up front: replacing each group in
// place and searching again from its start was quadratic in the nesting (200 s for 150,000
// nested \text{). That search also found a command spelled across a kept group's end
// (`\text{\te}xt{1}` gave "1"); this pass does not put text together that way.
std::string strip_command_groups(const std::string& s, const std::string& cmd, bool keep) {
  const std::string pattern = cmd + "{";
  if (s.find(pattern) == std::string::npos) return s;
  const std::vector<size_t> ends = group_ends(s);
  std::string out;
  out.reserve(s.size());
  std::vector<size_t> kept_closes;  // the '}' of each kept group still open, innermost last
  size_t i = 0;
  while (i < s.size()) {
    if (!kept_closes.empty() && i == kept_closes.back()) {
      kept_closes.pop_back();
      ++i;
      continue;
    }
    if (s.compare(i, pattern.size(), pattern) == 0) {
      const size_t open = i + cmd.size();
      const size_t end = ends[open];
      if (end == std::string::npos) break;
      if (keep) {
        kept_closes.push_back(end - 1);
        i = open + 1;
      } else {
        i = end;
      }
      continue;
    }
    out += s[i++];
  }
  out.append(s, std::min(i, s.size()), std::string::npos);
  return out;
}

// Removes commas between a digit and exactly three digits ("1,000,000"); a comma in "1,2" (a
// list) stays.
std::string drop_thousands_commas(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',' && i > 0 && is_digit(s[i - 1])) {
      size_t digits = 0;
      while (i + 1 + digits < s.size() && is_digit(s[i + 1 + digits])) ++digits;
      if (digits == 3) continue;
    }
    out += s[i];
  }
  return out;
}

std::string normalize(std::string s, bool keep_text) {
  s = strip_command_groups(s, "\\text", keep_text);
  s = strip_command_groups(s, "\\textbf", true);
  s = strip_command_groups(s, "\\mbox", keep_text);
  s = strip_command_groups(s, "\\mathrm", keep_text);
  for (const char* noise : {"\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "\\displaystyle",
                            "^{\\circ}", "^\\circ", "\\circ", "\\%", "%", "\\$", "$"})
    replace_all(s, noise, "");
  replace_all(s, "\xe2\x88\x92", "-");  // U+2212 MINUS SIGN
  replace_all(s, "\\dfrac", "\\frac");
  replace_all(s, "\\tfrac", "\\frac");
  std::string compact;
  for (const char c : s)
    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
  // "x=5", "n = 12": the value after the last '=' (not "\le", "<=").
  if (const size_t eq = compact.rfind('='); eq != std::string::npos && eq + 1 < compact.size())
    compact = compact.substr(eq + 1);
  while (!compact.empty() && compact.back() == '.') compact.pop_back();
  return drop_thousands_commas(compact);
}

// A plain decimal filling all of s: -?digits[.digits] or -?.digits.
std::optional<double> parse_decimal(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  }
  if (digits == 0 || i != s.size() || digits > 40) return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

std::optional<double> parse_value(const std::string& s, int depth) {
  if (s.empty() || depth > 4) return std::nullopt;
  if (const auto d = parse_decimal(s)) return d;
  // Braces around the whole: "{12}".
  if (s.front() == '{' && close_of_group(s, 0) == s.size())
    return parse_value(s.substr(1, s.size() - 2), depth + 1);
  const bool negative = s[0] == '-';
  const std::string body = negative ? s.substr(1) : s;
  if (body.rfind("\\frac{", 0) == 0) {
    const size_t num_end = close_of_group(body, 5);
    if (num_end == std::string::npos || num_end >= body.size() || body[num_end] != '{')
      return std::nullopt;
    const size_t den_end = close_of_group(body, num_end);
    if (den_end != body.size()) return std::nullopt;
    const auto num = parse_value(body.substr(6, num_end - 7), depth + 1);
    const auto den = parse_value(body.substr(num_end + 1, den_end - num_end - 2), depth + 1);
    if (!num || !den || *den == 0) return std::nullopt;
    return (negative ? -1 : 1) * *num / *den;
  }
  if (const size_t slash = body.find('/');
      slash != std::string::npos && body.find('/', slash + 1) == std::string::npos) {
    const auto num = parse_decimal(body.substr(0, slash));
    const auto den = parse_decimal(body.substr(slash + 1));
    if (!num || !den || *den == 0) return std::nullopt;
    return (negative ? -1 : 1) * *num / *den;
  }
  return std::nullopt;
}

}  // namespace

std::string final_answer_region(const std::string& output, bool cut_off) {
  if (output.find("</think>") == std::string::npos && cut_off) return "";
  return answer_after_think(output);
}

std::optional<std::string> last_boxed(const std::string& text) {
  size_t best = std::string::npos, best_len = 0;
  for (const std::string& cmd : {std::string("\\boxed"), std::string("\\fbox")}) {
    const size_t at = text.rfind(cmd);
    if (at == std::string::npos || (best != std::string::npos && at < best)) continue;
    best = at;
    best_len = cmd.size();
  }
  if (best == std::string::npos) return std::nullopt;
  size_t i = best + best_len;
  if (i < text.size() && text[i] == '{') {
    const size_t end = close_of_group(text, i);
    if (end == std::string::npos) return std::nullopt;
    return text.substr(i + 1, end - i - 2);
  }
  if (i < text.size() && text[i] == ' ') {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t end = i;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
           text[end] != '$')
      ++end;
    if (end > i) return text.substr(i, end - i);
  }
  return std::nullopt;
}

std::optional<std::string> last_number(const std::string& text) {
  // Scan backwards for the last digit, then extend over the number it ends.
  size_t end = text.size();
  while (end > 0 && !is_digit(text[end - 1])) --end;
  if (end == 0) return std::nullopt;
  size_t start = end;
  while (start > 0) {
    const char c = text[start - 1];
    if (is_digit(c)) {
      --start;
    } else if ((c == ',' || c == '.') && start >= 2 && is_digit(text[start - 2])) {
      --start;
    } else if (c == '.') {  // ".5"
      --start;
      break;
    } else {
      break;
    }
  }
  if (start > 0 && text[start - 1] == '-') --start;
  return text.substr(start, end - start);
}

std::optional<std::string> extract_math_answer(const std::string& output, bool cut_off,
                                               bool last_number_fallback) {
  const std::string region = final_answer_region(output, cut_off);
  if (auto boxed = last_boxed(region)) {
    // An empty box answers nothing (and must not win a vote as "").
    if (boxed->find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
    return boxed;
  }
  if (last_number_fallback) return last_number(region);
  return std::nullopt;
}

std::string normalize_math_answer(const std::string& answer) {
  return normalize(answer, true);
}

std::optional<double> parse_math_number(const std::string& answer) {
  // Units in \text{} go; a number written as \text{12} is still read.
  if (auto v = parse_value(normalize(answer, false), 0)) return v;
  return parse_value(normalize(answer, true), 0);
}

bool math_answers_equal(const std::string& predicted, const std::string& gold) {
  const auto p = parse_math_number(predicted);
  const auto g = parse_math_number(gold);
  if (p && g) {
    if (std::nearbyint(*g) == *g) return *p == *g;
    return std::fabs(*p - *g) <= 1e-4 * std::max(std::fabs(*p), std::fabs(*g));
  }
  if (p || g) return false;
  const std::string n = normalize_math_answer(predicted);
  return !n.empty() && n == normalize_math_answer(gold);
}

std::string math_answer_vote_key(const std::string& answer) {
  if (const auto v = parse_math_number(answer)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.12g", *v == 0 ? 0.0 : *v);
    return buf;
  }
  return normalize_math_answer(answer);
}

}  // namespace junction::eval
