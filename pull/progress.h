// Download progress for people and for logs: on a terminal a one-line bar (bytes, percent,
// MB/s, ETA) redrawn about 5 times a second; elsewhere a structured line every few seconds
// ("pull file=... bytes=... total=... pct=..."; the leading step names who reports: `pull`, or
// `quantize type=q4_k_m` for `junction quantize`). Formatting is pure; ProgressReporter only
// decides when to print and writes to the stream it was given.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace junction::pull {

struct ProgressSnapshot {
  std::string file;
  uint64_t bytes = 0;             // on disk so far, resumed bytes included // bytes
  std::optional<uint64_t> total;  // bytes, when the server said
  double rate = 0;                // bytes/s over this run
};

std::string format_bytes(uint64_t bytes);     // "512 B", "1.5 kB", "4.92 GB" (powers of 1000)
std::string format_duration(double seconds);  // "42s", "3m05s", "1h02m"
// "name  1.23 GB / 4.92 GB  25% [#####               ]  45.1 MB/s  ETA 1m22s", at most `width`.
std::string format_progress_bar(const ProgressSnapshot& s, int width);
std::string format_progress_log(const ProgressSnapshot& s, std::string_view step = "pull");

class ProgressReporter {
 public:
  using Clock = std::chrono::steady_clock;

  // terminal: redraw a bar of `width` columns in place; otherwise log lines every `log_interval`,
  // each starting with `step`.
  ProgressReporter(std::FILE* out, bool terminal, int width = 100,
                   std::chrono::milliseconds log_interval = std::chrono::seconds(5),
                   std::string step = "pull");

  void begin(std::string_view file, uint64_t already, std::optional<uint64_t> total);
  void advance(uint64_t new_bytes);
  void end();                        // prints the final state and a summary
  void note(std::string_view line);  // a line of its own, e.g. why nothing is moving

 private:
  ProgressSnapshot snapshot(Clock::time_point now) const;
  void print(const ProgressSnapshot& s);

  std::FILE* out_;
  bool terminal_;
  int width_;  // columns
  std::chrono::milliseconds interval_;
  std::string step_;
  ProgressSnapshot state_;
  uint64_t start_bytes_ = 0;  // bytes already there when this run began
  Clock::time_point started_, last_print_;
};

}  // namespace junction::pull
