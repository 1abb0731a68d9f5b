// The numbers a task reports, each as its reference defines it: lm-eval's acc / acc_norm /
// TruthfulQA mc2 and mean stderr; Codex's unbiased pass@k.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace junction::eval {

// Index of the largest value, the first on ties (numpy argmax).
int argmax(std::span<const double> values);

// lm-eval acc_norm's prediction: argmax of loglikelihood / len(choice), with len counted in
// Unicode code points of the choice string without the target delimiter (Python's len).
int argmax_char_normalized(std::span<const double> loglikelihoods,
                           std::span<const int64_t> choice_chars);

// Python len() of UTF-8 text.
int64_t count_code_points(const std::string_view& text);

// lm-eval's process_results_mc2: answers before the first label 0 are true, the rest false;
// the normalized probability mass of the true answers. In double, shifted by the largest
// loglikelihood (the same value as lm-eval's exp() ratio, without its underflow to 0/0 when
// every answer is far below e^-745).
double truthfulqa_mc2(std::span<const double> loglikelihoods, std::span<const int> labels);

// Codex (Chen et al. 2021) unbiased estimator: 1 - C(n-c, k) / C(n, k), as the product
// 1 - prod_{i=n-c+1..n} (1 - k / i); 1 when n - c < k.
double pass_at_k(int64_t n, int64_t c, int64_t k);

double mean(std::span<const double> values);
// Standard error of the mean with the sample variance (ddof 1), lm-eval's mean_stderr; 0 for
// fewer than two values.
double mean_stderr(std::span<const double> values);

}  // namespace junction::eval
