#include "engine/logprob.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace junction {

double log_sum_exp(std::span<const float> logits) {
  const float max = logits[static_cast<size_t>(first_argmax(logits))];
  double sum = 0;
  for (const float x : logits) sum += std::exp(static_cast<double>(x) - max);
  return max + std::log(sum);
}

int32_t first_argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

TokenEvent token_logprobs(std::span<const float> logits, int32_t token, int top) {
  // Called for every prompt position of an echo request: one pass for the maximum, one for the
  // normalizer, and the top k kept in a small sorted buffer rather than sorting the vocabulary.
  const double lse = log_sum_exp(logits);
  const auto vocab = static_cast<int64_t>(logits.size());
  TokenEvent e;
  e.token = token;
  e.logprob = static_cast<float>(logits[static_cast<size_t>(token)] - lse);
  const int k = static_cast<int>(std::min<int64_t>(std::max(top, 0), vocab));
  if (k > 0) {
    std::vector<int32_t> best;
    best.reserve(static_cast<size_t>(k) + 1);
    auto better = [&](int32_t x, int32_t y) {
      return logits[x] != logits[y] ? logits[x] > logits[y] : x < y;
    };
    for (int32_t i = 0; i < static_cast<int32_t>(vocab); ++i) {
      if (static_cast<int>(best.size()) == k && !better(i, best.back())) continue;
      best.insert(std::upper_bound(best.begin(), best.end(), i, better), i);
      if (static_cast<int>(best.size()) > k) best.pop_back();
    }
    for (const int32_t id : best) e.top.push_back({id, static_cast<float>(logits[id] - lse)});
  }
  return e;
}

}  // namespace junction
