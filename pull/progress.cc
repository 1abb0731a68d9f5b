#include "pull/progress.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace junction::pull {
namespace {

std::string printf_string(const char* format, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a);
  return buf;
}

}  // namespace

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int unit = -1;
  while (v >= 1000 && unit < 3) {
    v /= 1000;
    ++unit;
  }
  return printf_string(v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v) + " " + kUnits[unit];
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<uint64_t>(std::llround(seconds));
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60));
  }
  return buf;
}

std::string format_progress_bar(const ProgressSnapshot& s, int width) {
  std::string sizes = format_bytes(s.bytes);
  std::string pct, eta;
  double fraction = -1;
  if (s.total && *s.total > 0) {
    fraction = std::min(1.0, static_cast<double>(s.bytes) / static_cast<double>(*s.total));
    sizes += " / " + format_bytes(*s.total);
    pct = printf_string("%3.0f%%", fraction * 100);
    eta = s.rate > 0 && s.bytes < *s.total
              ? "ETA " + format_duration(static_cast<double>(*s.total - s.bytes) / s.rate)
              : "";
  }
  const std::string rate = printf_string("%.1f MB/s", s.rate / 1e6);
  // Fixed-width number columns keep the bar from jumping as digits come and go.
  const auto pad = [](std::string text, size_t n) {
    if (text.size() < n) text.resize(n, ' ');
    return text;
  };
  const std::string tail = "  " + pad(sizes, 19) + (pct.empty() ? "" : "  " + pct);
  const std::string after = "  " + pad(rate, 10) + "  " + pad(eta, 10);
  // The name gets what the numbers and a 10-cell bar leave, shortened from the left.
  const int bar_cells_min = fraction >= 0 ? 13 : 0;
  const int room = width - static_cast<int>(tail.size() + after.size()) - bar_cells_min;
  std::string name = s.file;
  if (room < static_cast<int>(name.size()))
    name = room > 3 ? "..." + name.substr(name.size() - static_cast<size_t>(room - 3)) : "";
  std::string bar;
  if (fraction >= 0) {
    const int cells =
        std::clamp(width - static_cast<int>(name.size() + tail.size() + after.size()) - 3, 10, 40);
    const int filled = static_cast<int>(fraction * cells);
    bar = " [" + std::string(static_cast<size_t>(filled), '#') +
          std::string(static_cast<size_t>(cells - filled), ' ') + "]";
  }
  std::string line = name + tail + bar + after;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<size_t>(std::max(0, width)));
  return line;
}

std::string format_progress_log(const ProgressSnapshot& s, std::string_view step) {
  std::string line = std::string(step) + " file=" + s.file + " bytes=" + std::to_string(s.bytes);
  if (s.total) {
    line += " total=" + std::to_string(*s.total);
    if (*s.total > 0)
      line += " pct=" + printf_string("%.1f", 100.0 * static_cast<double>(s.bytes) /
                                                  static_cast<double>(*s.total));
  }
  line += " mb_per_s=" + printf_string("%.1f", s.rate / 1e6);
  return line;
}

ProgressReporter::ProgressReporter(std::FILE* out, bool terminal, int width,
                                   std::chrono::milliseconds log_interval, std::string step)
    : out_(out),
      terminal_(terminal),
      width_(std::clamp(width, 40, 160)),
      interval_(terminal ? std::chrono::milliseconds(200) : log_interval),
      step_(std::move(step)) {}

void ProgressReporter::begin(std::string_view file, uint64_t already,
                             std::optional<uint64_t> total) {
  state_ = {std::string(file), already, total, 0};
  start_bytes_ = already;
  started_ = last_print_ = Clock::now();
  print(state_);
}

void ProgressReporter::advance(uint64_t new_bytes) {
  state_.bytes += new_bytes;
  const auto now = Clock::now();
  if (now - last_print_ < interval_) return;
  last_print_ = now;
  print(snapshot(now));
}

void ProgressReporter::end() {
  const auto now = Clock::now();
  const ProgressSnapshot s = snapshot(now);
  const double seconds = std::chrono::duration<double>(now - started_).count();
  if (terminal_) {
    print(s);
    std::fputc('\n', out_);
  } else {
    std::fprintf(out_, "%s done seconds=%.1f\n", format_progress_log(s, step_).c_str(), seconds);
  }
  std::fflush(out_);
}

void ProgressReporter::note(std::string_view line) {
  std::fprintf(out_, "%.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(out_);
}

ProgressSnapshot ProgressReporter::snapshot(Clock::time_point now) const {
  ProgressSnapshot s = state_;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  s.rate = seconds > 0 ? static_cast<double>(s.bytes - start_bytes_) / seconds : 0;
  return s;
}

void ProgressReporter::print(const ProgressSnapshot& s) {
  if (terminal_) {
    // \r and erase-to-end redraw the line in place.
    std::fprintf(out_, "\r%s\x1b[K", format_progress_bar(s, width_ - 1).c_str());
  } else {
    std::fprintf(out_, "%s\n", format_progress_log(s, step_).c_str());
  }
  std::fflush(out_);
}

}  // namespace junction::pull
