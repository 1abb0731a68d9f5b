// Python str semantics over UTF-8 strings: lengths and indices count code points, whitespace is
// Python's str.isspace(), case mapping goes through utf8proc. Used by filters and str methods.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace junction::jinja::pystr {

// Byte offset of each code point, plus s.size() at the end (so size() - 1 code points).
std::vector<size_t> code_point_offsets(std::string_view s);
size_t length(std::string_view s);
bool is_space(uint32_t cp);

std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string capitalize(std::string_view s);  // str.capitalize
std::string title(std::string_view s);       // str.title

// str.strip / lstrip / rstrip; `chars` absent means whitespace.
std::string strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                  bool right);
// str.split(sep, maxsplit) / str.rsplit; sep absent splits on whitespace runs. maxsplit < 0: no
// limit.
std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit);
std::vector<std::string> rsplit(std::string_view s, const std::optional<std::string>& sep,
                                int64_t maxsplit);
std::vector<std::string> splitlines(std::string_view s);
// str.replace(old, new, count); count < 0: all. Throws ValueError past max_bytes.
std::string replace(std::string_view s, std::string_view old, std::string_view repl, int64_t count,
                    size_t max_bytes);
// str.find / rfind / count, in code points; -1 when absent.
int64_t find(std::string_view s, std::string_view sub, bool reverse);
int64_t count(std::string_view s, std::string_view sub);

void append_utf8(std::string& out, uint32_t cp);
// Decodes the code point at s[i] (advancing i); invalid bytes decode as themselves (Latin-1).
uint32_t next_code_point(std::string_view s, size_t& i);

}  // namespace junction::jinja::pystr
