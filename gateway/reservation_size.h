// The credit reservation of a completion request, and the clamp on what an upstream reports:
// how many tokens the request may use at most (every prompt of a batch, n choices each) and
// what that costs at the highest price among the models that may answer; then the upstream's
// usage held within [0, that]. Every step on tokens and money is overflow-checked
// (checked_math.h), and sizes are capped: a request over a cap, or whose worst case does not
// fit in int64 nano-USD, is refused with a 400 naming the parameter. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <vector>

#include "gateway/price.h"
#include "gateway/request_shape.h"

namespace junction::gateway {

struct ReservationLimits {
  int64_t max_n = 128;                        // choices per prompt (OpenAI's cap)
  int64_t max_prompts = 2048;                 // prompts in one /v1/completions list (OpenAI's cap)
  int64_t max_tokens_cap = int64_t{1} << 20;  // max_tokens when no context_length is known
  int64_t default_max_tokens = 4096;          // none asked and no context_length known
};

struct ReservationSize {
  int64_t max_tokens = 0;  // per choice: asked, or the max output, or the context, or the default
  bool max_tokens_asked = false;  // false: the gateway chose max_tokens (see the .cc)
  // The upstream must be told max_tokens: none asked and no context_length bounds it.
  bool write_max_tokens = false;
  int64_t prompt_tokens = 0;      // bound over all prompts
  int64_t completion_tokens = 0;  // max_tokens x n x prompts
  int64_t total_tokens = 0;       // prompt + completion (the rate limiter's tokens)
  NanoUsd cost = 0;               // the worst case at the highest of the prices
};

// What bounds a choice's tokens when the request sets no max_tokens.
struct OutputBounds {
  int64_t context_length = 0;     // the primary model's; 0: unknown
  int64_t max_output_tokens = 0;  // the largest among the models that may answer; 0: unknown
};

// `prices`: of every model that may answer. Throws http::ApiError(400) naming the parameter
// over a cap.
ReservationSize size_reservation(const RequestShape& shape, const OutputBounds& bounds,
                                 const std::vector<Price>& prices,
                                 const ReservationLimits& limits = {});

// Usage as reported, held within what was reserved: negative counts become 0, prompt and
// completion each at most the reservation's total tokens (an upstream may count a prompt above
// the gateway's byte bound, e.g. Anthropic's tool-use system prompt, so neither part is held to
// its own bound: the cost cap of charge_for is what binds), cached within prompt, reasoning
// within completion. `*clamped` is set when anything changed.
TokenUsage clamp_usage(const TokenUsage& usage, const ReservationSize& reservation, bool* clamped);

// What is charged for usage already clamped: its cost at `price`, at most the reservation.
// `*clamped` is set when the cost was cut.
NanoUsd charge_for(const Price& price, const TokenUsage& usage, const ReservationSize& reservation,
                   bool* clamped);

}  // namespace junction::gateway
