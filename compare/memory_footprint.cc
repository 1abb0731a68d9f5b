#include "compare/memory_footprint.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace junction::compare {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::optional<int64_t> kilobytes_field(std::string_view text, std::string_view key) {
  size_t at = 0;
  while ((at = text.find(key, at)) != std::string_view::npos) {
    if (at == 0 || text[at - 1] == '\n') break;
    at += key.size();
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = trim(text.substr(at + key.size()));
  int64_t kb = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), kb);
  if (ec != std::errc()) return std::nullopt;
  return kb * 1024;
}

}  // namespace

std::map<std::string, double> parse_prometheus_memory(std::string_view text) {
  std::map<std::string, double> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    // The series ends at the closing brace of the labels, or at the first space without any.
    const size_t brace = l.find('{');
    const size_t space = l.find(' ');
    size_t series_end = space;
    if (brace != std::string_view::npos && brace < space) {
      const size_t close = l.find('}', brace);
      if (close == std::string_view::npos) continue;
      series_end = close + 1;
    }
    if (series_end == std::string_view::npos) continue;
    const std::string_view name = l.substr(0, std::min(brace, series_end));
    if (name.find("memory") == std::string_view::npos &&
        name.find("bytes") == std::string_view::npos)
      continue;
    if (name.ends_with("_bucket") || name.ends_with("_sum") || name.ends_with("_count")) continue;
    const std::string_view value_text = trim(l.substr(series_end));
    const std::string value(value_text.substr(0, value_text.find(' ')));
    try {
      out[std::string(l.substr(0, series_end))] = std::stod(value);
    } catch (const std::exception&) {
    }
  }
  return out;
}

std::optional<ProcessMemory> parse_proc_status(std::string_view text) {
  const auto rss = kilobytes_field(text, "VmRSS:");
  const auto peak = kilobytes_field(text, "VmHWM:");
  if (!rss || !peak) return std::nullopt;
  return ProcessMemory{*rss, *peak};
}

std::optional<ProcessMemory> read_process_memory(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_proc_status(ss.str());
}

}  // namespace junction::compare
