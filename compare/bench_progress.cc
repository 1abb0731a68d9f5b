#include "compare/bench_progress.h"

#include <algorithm>

namespace junction::compare {

constexpr int kBarColumns = 20;
constexpr auto kTerminalInterval = std::chrono::milliseconds(200);
constexpr auto kLogInterval = std::chrono::seconds(5);

std::string format_bench_bar(const std::string& label, int64_t done, int64_t total, double rate,
                             int width) {
  const double frac = total > 0 ? std::clamp(double(done) / double(total), 0.0, 1.0) : 1.0;
  const int filled = static_cast<int>(frac * kBarColumns);
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-16s %5lld/%-5lld %3d%% [%s%s] %6.2f req/s", label.c_str(),
                static_cast<long long>(done), static_cast<long long>(total),
                static_cast<int>(frac * 100), std::string(static_cast<size_t>(filled), '#').c_str(),
                std::string(static_cast<size_t>(kBarColumns - filled), ' ').c_str(), rate);
  std::string s = buf;
  if (width > 0 && static_cast<int>(s.size()) > width) s.resize(static_cast<size_t>(width));
  return s;
}

std::string format_bench_log(const std::string& label, int64_t done, int64_t total, double rate) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "bench level=%s done=%lld total=%lld rate=%.2f", label.c_str(),
                static_cast<long long>(done), static_cast<long long>(total), rate);
  return buf;
}

BenchProgress::BenchProgress(std::FILE* out, bool terminal, std::string label, int64_t total)
    : out_(out), terminal_(terminal), label_(std::move(label)), total_(total) {
  started_ = last_print_ = Clock::now();
}

void BenchProgress::advance() {
  std::lock_guard lock(mutex_);
  ++done_;
  const auto now = Clock::now();
  if (now - last_print_ >= (terminal_ ? std::chrono::milliseconds(kTerminalInterval)
                                      : std::chrono::milliseconds(kLogInterval))) {
    last_print_ = now;
    print_locked(false);
  }
}

void BenchProgress::finish() {
  std::lock_guard lock(mutex_);
  print_locked(true);
}

void BenchProgress::print_locked(bool final) {
  if (!out_) return;
  const double s = std::chrono::duration<double>(Clock::now() - started_).count();
  const double rate = s > 0 ? double(done_) / s : 0;
  if (terminal_)
    std::fprintf(out_, "\r%s%s", format_bench_bar(label_, done_, total_, rate, 100).c_str(),
                 final ? "\n" : "");
  else
    std::fprintf(out_, "%s\n", format_bench_log(label_, done_, total_, rate).c_str());
  std::fflush(out_);
}

}  // namespace junction::compare
