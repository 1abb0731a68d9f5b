// The numbers of a task scored from k sampled answers per question, as reasoning-model cards
// report them (DeepSeek-R1: "16 samples per question averaged into pass@1"): pass@1 as the mean
// over questions of each question's share of correct samples, with the standard error of that
// mean; cons@k, the share of questions whose majority answer is right; pass@k by the Codex
// unbiased estimator. And the reasoning-length summary: quantiles of reasoning tokens over
// samples and over questions' means, and the share cut off by the token limit. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace junction::eval {

struct SampleVerdict {
  std::optional<std::string> vote_key;  // math_answer_vote_key of the extracted answer
  bool correct = false;
};

struct QuestionTally {
  int64_t n = 0;                        // samples
  int64_t correct = 0;                  // of them right
  std::optional<std::string> majority;  // the most frequent answer; ties: the one seen first
  bool majority_correct = false;        // false when no sample gave an answer
};

// Majority vote over the answered samples (unanswered ones cast no vote).
QuestionTally tally_question(std::span<const SampleVerdict> samples);

struct ValueWithStderr {
  double value = 0;
  double stderr_value = 0;
};

struct SampledMetrics {
  int64_t k = 0;  // samples per question
  ValueWithStderr pass_at_1;
  ValueWithStderr cons_at_k;
  // pass@j for j = 2, 4, 8, ... below k, and k itself (k > 1), by the unbiased estimator.
  std::vector<std::pair<int64_t, ValueWithStderr>> pass_at;
};

// Every question must have the same number of samples k >= 1 (throws junction::Error else).
SampledMetrics sampled_metrics(std::span<const QuestionTally> questions);

struct LengthSummary {
  int64_t n = 0;
  double mean = 0, p10 = 0, p50 = 0, p90 = 0, max = 0;
};

// Quantiles by the nearest-rank method on the sorted values (p50 of {1,2,3,4} is 2).
LengthSummary summarize_lengths(std::vector<double> values);

}  // namespace junction::eval
