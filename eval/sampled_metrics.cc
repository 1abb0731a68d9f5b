#include "eval/sampled_metrics.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "eval/metrics.h"

namespace junction::eval {
namespace {

ValueWithStderr mean_and_stderr(const std::vector<double>& values) {
  return {mean(values), mean_stderr(values)};
}

}  // namespace

QuestionTally tally_question(std::span<const SampleVerdict> samples) {
  QuestionTally t;
  t.n = static_cast<int64_t>(samples.size());
  std::map<std::string, int64_t> votes;
  int64_t best = 0;
  for (const SampleVerdict& s : samples) {
    t.correct += s.correct;
    if (!s.vote_key) continue;
    // Strictly more votes take over: on a tie the answer that got there first stays.
    if (const int64_t v = ++votes[*s.vote_key]; v > best) {
      best = v;
      t.majority = s.vote_key;
    }
  }
  if (t.majority)
    for (const SampleVerdict& s : samples)
      if (s.vote_key == t.majority) {
        t.majority_correct = s.correct;
        break;
      }
  return t;
}

SampledMetrics sampled_metrics(std::span<const QuestionTally> questions) {
  SampledMetrics m;
  if (questions.empty()) return m;
  m.k = questions.front().n;
  if (m.k < 1) throw Error("sampled metrics need at least one sample per question");
  std::vector<double> share, majority;
  for (const QuestionTally& q : questions) {
    if (q.n != m.k) throw Error("every question needs the same number of samples");
    share.push_back(static_cast<double>(q.correct) / static_cast<double>(q.n));
    majority.push_back(q.majority_correct ? 1.0 : 0.0);
  }
  m.pass_at_1 = mean_and_stderr(share);
  m.cons_at_k = mean_and_stderr(majority);
  std::vector<int64_t> ks;
  for (int64_t j = 2; j < m.k; j *= 2) ks.push_back(j);
  if (m.k > 1) ks.push_back(m.k);
  for (const int64_t j : ks) {
    std::vector<double> per_question;
    for (const QuestionTally& q : questions) per_question.push_back(pass_at_k(q.n, q.correct, j));
    m.pass_at.push_back({j, mean_and_stderr(per_question)});
  }
  return m;
}

LengthSummary summarize_lengths(std::vector<double> values) {
  LengthSummary s;
  s.n = static_cast<int64_t>(values.size());
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const auto rank = [&](double p) {
    const auto r = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::clamp<size_t>(r, 1, values.size()) - 1];
  };
  s.mean = mean(values);
  s.p10 = rank(0.10);
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.max = values.back();
  return s;
}

}  // namespace junction::eval
