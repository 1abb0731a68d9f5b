#include "engine/drafter_ngram.h"

#include <algorithm>

namespace junction {

void NgramDrafter::propose(std::span<const int32_t> tokens, int64_t max_n, Draft& out) {
  out.tokens.clear();
  out.q.clear();
  const int64_t L = static_cast<int64_t>(tokens.size());
  if (max_n <= 0) return;
  for (int64_t n = std::min(config_.n_max, L - 1); n >= std::max<int64_t>(1, config_.n_min); --n) {
    const std::span<const int32_t> tail = tokens.subspan(L - n);
    // The most recent earlier occurrence: starts j < L - n.
    for (int64_t j = L - n - 1; j >= 0; --j) {
      if (!std::equal(tail.begin(), tail.end(), tokens.begin() + j)) continue;
      for (int64_t i = 0; i < max_n; ++i) {
        const int64_t pos = j + n + i;  // < L + i, so it is known: history or this draft
        out.tokens.push_back(pos < L ? tokens[pos] : out.tokens[pos - L]);
      }
      return;
    }
  }
}

}  // namespace junction
