#include "compare/bench_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace junction::compare {

constexpr size_t kMaxErrors = 5;  // distinct failure messages kept per level

std::optional<double> percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double rank = (static_cast<double>(values.size()) - 1) * std::clamp(p, 0.0, 100.0) / 100;
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

Distribution describe(const std::vector<double>& values) {
  Distribution d;
  d.n = static_cast<int64_t>(values.size());
  if (values.empty()) return d;
  const double n = static_cast<double>(values.size());
  d.mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double ss = 0;
  for (const double v : values) ss += (v - d.mean) * (v - d.mean);
  d.std = std::sqrt(ss / n);
  d.p50 = *percentile(values, 50);
  d.p90 = *percentile(values, 90);
  d.p99 = *percentile(values, 99);
  d.min = *std::min_element(values.begin(), values.end());
  d.max = *std::max_element(values.begin(), values.end());
  return d;
}

std::optional<double> ttft_s(const RequestRecord& r) {
  if (r.token_at_s.empty()) return std::nullopt;
  return r.token_at_s.front();
}

std::optional<double> tpot_s(const RequestRecord& r) {
  const auto first = ttft_s(r);
  if (!first || r.output_tokens < 2) return std::nullopt;
  return (r.e2e_s - *first) / static_cast<double>(r.output_tokens - 1);
}

std::vector<double> inter_token_s(const RequestRecord& r) {
  std::vector<double> gaps;
  for (size_t i = 1; i < r.token_at_s.size(); ++i)
    gaps.push_back(r.token_at_s[i] - r.token_at_s[i - 1]);
  return gaps;
}

LevelSummary summarize_level(const std::vector<RequestRecord>& records, double duration_s) {
  LevelSummary s;
  s.duration_s = duration_s;
  std::vector<double> ttft, tpot, itl, e2el;  // ms
  for (const RequestRecord& r : records) {
    if (!r.ok) {
      ++s.failed;
      if (s.errors.size() < kMaxErrors &&
          std::find(s.errors.begin(), s.errors.end(), r.error) == s.errors.end())
        s.errors.push_back(r.error);
      continue;
    }
    ++s.completed;
    s.total_input_tokens += r.prompt_tokens;
    s.total_output_tokens += r.output_tokens;
    if (const auto t = ttft_s(r)) ttft.push_back(*t * 1000);
    if (const auto t = tpot_s(r)) tpot.push_back(*t * 1000);
    for (const double g : inter_token_s(r)) itl.push_back(g * 1000);
    e2el.push_back(r.e2e_s * 1000);
  }
  if (duration_s > 0) {
    s.request_throughput = static_cast<double>(s.completed) / duration_s;
    s.output_throughput = static_cast<double>(s.total_output_tokens) / duration_s;
    s.total_token_throughput =
        static_cast<double>(s.total_input_tokens + s.total_output_tokens) / duration_s;
  }
  s.ttft_ms = describe(ttft);
  s.tpot_ms = describe(tpot);
  s.itl_ms = describe(itl);
  s.e2el_ms = describe(e2el);
  return s;
}

}  // namespace junction::compare
