#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "core/error.h"

namespace junction::eval {

int argmax(std::span<const double> values) {
  int best = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (values[i] > values[static_cast<size_t>(best)]) best = static_cast<int>(i);
  return best;
}

int argmax_char_normalized(std::span<const double> loglikelihoods,
                           std::span<const int64_t> choice_chars) {
  std::vector<double> normalized(loglikelihoods.size());
  for (size_t i = 0; i < loglikelihoods.size(); ++i)
    normalized[i] = loglikelihoods[i] / static_cast<double>(choice_chars[i]);
  return argmax(normalized);
}

int64_t count_code_points(const std::string_view& text) {
  int64_t n = 0;
  for (const char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

double truthfulqa_mc2(std::span<const double> loglikelihoods, std::span<const int> labels) {
  if (loglikelihoods.size() != labels.size() || labels.empty())
    throw Error("mc2 needs one label per answer");
  const auto first_false = std::find(labels.begin(), labels.end(), 0);
  const size_t split = static_cast<size_t>(first_false - labels.begin());
  const double top = *std::max_element(loglikelihoods.begin(), loglikelihoods.end());
  double p_true = 0, p_all = 0;
  for (size_t i = 0; i < loglikelihoods.size(); ++i) {
    const double p = std::exp(loglikelihoods[i] - top);
    p_all += p;
    if (i < split) p_true += p;
  }
  return p_true / p_all;
}

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (n <= 0 || c < 0 || c > n || k <= 0 || k > n)
    throw Error("pass@k needs 0 < k <= n and 0 <= c <= n");
  if (n - c < k) return 1.0;
  double prod = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i)
    prod *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  return 1.0 - prod;
}

double mean(std::span<const double> values) {
  if (values.empty()) return 0;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double mean_stderr(std::span<const double> values) {
  const size_t n = values.size();
  if (n < 2) return 0;
  const double m = mean(values);
  double ss = 0;
  for (double v : values) ss += (v - m) * (v - m);
  return std::sqrt(ss / static_cast<double>(n - 1) / static_cast<double>(n));
}

}  // namespace junction::eval
