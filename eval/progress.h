// Progress of a task run: on a terminal a one-line bar redrawn at most 5 times a second
// ("mmlu  1200/14042   8.5% [##        ]  3.1 docs/s  ETA 1h09m"); elsewhere a structured log
// line every few seconds ("eval task=mmlu done=1200 total=14042 rate=3.1 eta_s=4142").
// Thread-safe: runner threads call advance().
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace junction::eval {

std::string format_eval_progress_bar(const std::string& label, int64_t done, int64_t total,
                                     double rate, int width);
std::string format_eval_progress_log(const std::string& label, int64_t done, int64_t total,
                                     double rate);

class EvalProgress {
 public:
  using Clock = std::chrono::steady_clock;
  // `already`: documents done by an earlier, resumed run (counted, not in the rate).
  EvalProgress(std::FILE* out, bool terminal, std::string label, int64_t total, int64_t already);
  void advance(int64_t n = 1);
  void finish();

 private:
  void print_locked(bool final);

  std::mutex mutex_;
  std::FILE* out_;
  bool terminal_;
  std::string label_;
  int64_t total_, already_, done_;
  Clock::time_point started_, last_print_;
};

}  // namespace junction::eval
