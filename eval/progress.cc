#include "eval/progress.h"

#include <algorithm>
#include <cmath>

namespace junction::eval {
namespace {

std::string eta_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--";
  const auto s = static_cast<int64_t>(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60));
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  return buf;
}

}  // namespace

std::string format_eval_progress_bar(const std::string& label, int64_t done, int64_t total,
                                     double rate, int width, double tokens_per_s) {
  const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  char head[160];
  std::snprintf(head, sizeof head, "%s  %lld/%lld %5.1f%% ", label.c_str(),
                static_cast<long long>(done), static_cast<long long>(total), 100.0 * frac);
  char tokens[48] = "";
  if (tokens_per_s >= 0) std::snprintf(tokens, sizeof tokens, "  %.0f tok/s", tokens_per_s);
  char tail[144];
  std::snprintf(tail, sizeof tail, " %.2f docs/s%s  ETA %s", rate, tokens,
                eta_text(rate > 0 ? static_cast<double>(total - done) / rate : -1).c_str());
  const int bar = std::max(
      10, width - static_cast<int>(std::string(head).size() + std::string(tail).size()) - 2);
  const int filled = static_cast<int>(frac * bar);
  std::string out = std::string(head) + "[" + std::string(static_cast<size_t>(filled), '#') +
                    std::string(static_cast<size_t>(bar - filled), ' ') + "]" + tail;
  if (static_cast<int>(out.size()) > width) out.resize(static_cast<size_t>(width));
  return out;
}

std::string format_eval_progress_log(const std::string& label, int64_t done, int64_t total,
                                     double rate, double tokens_per_s) {
  char buf[256];
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : -1;
  std::snprintf(buf, sizeof buf, "eval task=%s done=%lld total=%lld rate=%.3f eta_s=%.0f",
                label.c_str(), static_cast<long long>(done), static_cast<long long>(total), rate,
                eta);
  std::string out = buf;
  if (tokens_per_s >= 0) {
    std::snprintf(buf, sizeof buf, " tok_s=%.0f", tokens_per_s);
    out += buf;
  }
  return out;
}

EvalProgress::EvalProgress(std::FILE* out, bool terminal, std::string label, int64_t total,
                           int64_t already)
    : out_(out),
      terminal_(terminal),
      label_(std::move(label)),
      total_(total),
      already_(already),
      done_(already),
      started_(Clock::now()),
      last_print_(started_ - std::chrono::hours(1)) {}

void EvalProgress::advance(int64_t n, int64_t tokens) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += n;
  tokens_ += tokens;
  const auto now = Clock::now();
  const auto interval =
      terminal_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (now - last_print_ >= interval) {
    last_print_ = now;
    print_locked(false);
  }
}

void EvalProgress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  print_locked(true);
}

void EvalProgress::print_locked(bool final) {
  if (!out_) return;
  const double elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - already_) / elapsed : 0;
  const double tokens_per_s =
      tokens_ == 0 ? -1 : (elapsed > 0 ? static_cast<double>(tokens_) / elapsed : 0);
  if (terminal_) {
    std::fprintf(out_, "\r%s%s",
                 format_eval_progress_bar(label_, done_, total_, rate, 100, tokens_per_s).c_str(),
                 final ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n",
                 format_eval_progress_log(label_, done_, total_, rate, tokens_per_s).c_str());
  }
  std::fflush(out_);
}

}  // namespace junction::eval
