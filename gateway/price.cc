#include "gateway/price.h"

#include <algorithm>
#include <cmath>

namespace junction::gateway {
namespace {

// USD per 1e6 tokens -> nano-USD per token is the same number times 1e3.
long double nano_per_token(double usd_per_mtok) {
  return static_cast<long double>(usd_per_mtok) * 1e3L;
}

NanoUsd round_up(long double nano) {
  // Prices like 0.1 are not exact in binary; shave the representation error before ceil.
  return static_cast<NanoUsd>(std::ceil(nano - 1e-6L));
}

}  // namespace

NanoUsd cost_of(const Price& price, const TokenUsage& u) {
  const double cached_price =
      price.cached_input_per_mtok < 0 ? price.input_per_mtok : price.cached_input_per_mtok;
  const int64_t uncached = u.prompt_tokens - std::min(u.cached_tokens, u.prompt_tokens);
  const long double nano =
      uncached * nano_per_token(price.input_per_mtok) +
      std::min(u.cached_tokens, u.prompt_tokens) * nano_per_token(cached_price) +
      u.completion_tokens * nano_per_token(price.output_per_mtok);
  return round_up(nano);
}

NanoUsd worst_case_cost(const Price& price, int64_t prompt_tokens, int64_t max_tokens) {
  return round_up(prompt_tokens * nano_per_token(price.input_per_mtok) +
                  max_tokens * nano_per_token(price.output_per_mtok));
}

NanoUsd usd_to_nano(double usd) {
  return static_cast<NanoUsd>(std::llround(usd * 1e9));
}
double nano_to_usd(NanoUsd n) {
  return static_cast<double>(n) / 1e9;
}

}  // namespace junction::gateway
