// Prices and money. Money is int64 nano-USD (1e-9 USD) everywhere it is stored or compared, so
// balances add up exactly; prices are USD per million tokens as providers publish them. Costs
// round up to the next nano-USD: a request never costs less than what it used. A cost that
// does not fit in int64 is nullopt, never a wrapped number (see checked_math.h).
#pragma once

#include <cstdint>
#include <optional>

namespace junction::gateway {

using NanoUsd = int64_t;  // 1e-9 USD

struct Price {
  double input_per_mtok = 0;          // USD per 1e6 prompt tokens
  double output_per_mtok = 0;         // USD per 1e6 completion tokens (reasoning included)
  double cached_input_per_mtok = -1;  // USD per 1e6 cached prompt tokens; <0: as input
};

struct TokenUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;  // includes reasoning_tokens
  int64_t reasoning_tokens = 0;
  int64_t cached_tokens = 0;  // part of prompt_tokens
};

// nullopt when the cost is outside int64 (or a count is negative: usage is clamped first, see
// reservation.h).
std::optional<NanoUsd> cost_of(const Price& price, const TokenUsage& usage);

// The most a request can cost: every prompt token at the higher of the input and cached
// prices, and max_tokens generated. nullopt when it is outside int64.
std::optional<NanoUsd> worst_case_cost(const Price& price, int64_t prompt_tokens,
                                       int64_t max_tokens);

// nullopt for NaN, infinities and amounts outside int64 (about +-9.2e9 USD).
std::optional<NanoUsd> usd_to_nano_checked(double usd);
// The same for an amount known to fit (a literal, a checked config value); throws
// junction::Error when it does not.
NanoUsd usd_to_nano(double usd);
double nano_to_usd(NanoUsd n);

}  // namespace junction::gateway
