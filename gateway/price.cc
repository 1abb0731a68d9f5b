#include "gateway/price.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "gateway/checked_math.h"

namespace junction::gateway {
namespace {

// USD per 1e6 tokens -> nano-USD per token is the same number times 1e3.
long double nano_per_token(double usd_per_mtok) {
  return static_cast<long double>(usd_per_mtok) * 1e3L;
}

double cached_price(const Price& p) {
  return p.cached_input_per_mtok < 0 ? p.input_per_mtok : p.cached_input_per_mtok;
}

}  // namespace

std::optional<NanoUsd> cost_of(const Price& price, const TokenUsage& u) {
  if (u.prompt_tokens < 0 || u.completion_tokens < 0 || u.cached_tokens < 0) return std::nullopt;
  const int64_t cached = std::min(u.cached_tokens, u.prompt_tokens);
  // int64 counts are exact in long double's 64-bit mantissa; the sum cannot overflow its range.
  const long double nano =
      static_cast<long double>(u.prompt_tokens - cached) * nano_per_token(price.input_per_mtok) +
      static_cast<long double>(cached) * nano_per_token(cached_price(price)) +
      static_cast<long double>(u.completion_tokens) * nano_per_token(price.output_per_mtok);
  return to_nano_checked(nano);
}

std::optional<NanoUsd> worst_case_cost(const Price& price, int64_t prompt_tokens,
                                       int64_t max_tokens) {
  if (prompt_tokens < 0 || max_tokens < 0) return std::nullopt;
  const double input = std::max(price.input_per_mtok, cached_price(price));
  return to_nano_checked(static_cast<long double>(prompt_tokens) * nano_per_token(input) +
                         static_cast<long double>(max_tokens) *
                             nano_per_token(price.output_per_mtok));
}

std::optional<NanoUsd> usd_to_nano_checked(double usd) {
  return whole_to_int64(std::round(static_cast<long double>(usd) * 1e9L));
}
NanoUsd usd_to_nano(double usd) {
  const auto nano = usd_to_nano_checked(usd);
  // Never a silent 0 for an amount that does not fit: that would move money.
  if (!nano) throw Error("amount outside int64 nano-USD: " + std::to_string(usd) + " USD");
  return *nano;
}
double nano_to_usd(NanoUsd n) {
  return static_cast<double>(n) / 1e9;
}

}  // namespace junction::gateway
