// Progress of one sweep level: on a terminal a bar redrawn at most 5 times a second
// ("concurrency=4   37/100  37% [#######             ]  2.9 req/s"); elsewhere a log line every
// few seconds ("bench level=concurrency=4 done=37 total=100 rate=2.9"). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace junction::compare {

std::string format_bench_bar(const std::string& label, int64_t done, int64_t total, double rate,
                             int width);
std::string format_bench_log(const std::string& label, int64_t done, int64_t total, double rate);

class BenchProgress {
 public:
  using Clock = std::chrono::steady_clock;
  BenchProgress(std::FILE* out, bool terminal, std::string label, int64_t total);
  void advance();
  void finish();

 private:
  void print_locked(bool final);

  std::mutex mutex_;
  std::FILE* out_;  // null: silent
  bool terminal_;
  std::string label_;
  int64_t total_, done_ = 0;
  Clock::time_point started_, last_print_;
};

}  // namespace junction::compare
