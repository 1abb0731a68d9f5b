#include "gateway/retry_policy.h"

#include <algorithm>

namespace junction::gateway {

int64_t RetryPolicy::backoff_ms(int attempt, std::mt19937_64& rng) const {
  if (attempt <= 0 || max_ms <= 0) return 0;
  int64_t cap = base_ms;
  for (int i = 1; i < attempt && cap < max_ms; ++i) cap *= 2;
  cap = std::min(cap, max_ms);
  std::uniform_int_distribution<int64_t> pick(0, cap);
  return pick(rng);
}

bool retryable_status(int status) {
  return status == 429 || status == 408 || status >= 500;
}

}  // namespace junction::gateway
