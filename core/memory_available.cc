#include "core/memory_available.h"

#include <cctype>
#include <fstream>
#include <iterator>
#include <string>

namespace junction {

std::optional<uint64_t> parse_mem_available(std::string_view meminfo) {
  constexpr std::string_view kKey = "MemAvailable:";
  for (size_t at = 0; at < meminfo.size();) {
    const size_t end = std::min(meminfo.find('\n', at), meminfo.size());
    std::string_view line = meminfo.substr(at, end - at);
    at = end + 1;
    if (!line.starts_with(kKey)) continue;
    line.remove_prefix(kKey.size());
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    uint64_t kib = 0;
    size_t digits = 0;
    for (; digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]));
         ++digits) {
      if (kib > (UINT64_MAX >> 10) / 10) return std::nullopt;  // past any real machine
      kib = kib * 10 + static_cast<uint64_t>(line[digits] - '0');
    }
    if (digits == 0 || line.substr(digits) != " kB") return std::nullopt;
    return kib << 10;
  }
  return std::nullopt;
}

std::optional<uint64_t> mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  if (!in) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_mem_available(text);
}

}  // namespace junction
