#include "gateway/reservation_size.h"

#include <algorithm>

#include "gateway/checked_math.h"
#include "http/api_error.h"

namespace junction::gateway {
namespace {

using http::invalid_param;

std::string max_tokens_param(const RequestShape& shape) {
  return shape.max_tokens_field.empty() ? "max_tokens" : shape.max_tokens_field;
}

}  // namespace

ReservationSize size_reservation(const RequestShape& shape, const OutputBounds& bounds,
                                 const std::vector<Price>& prices,
                                 const ReservationLimits& limits) {
  if (shape.n < 1 || shape.n > limits.max_n)
    throw invalid_param("n", "'n' must be between 1 and " + std::to_string(limits.max_n));
  if (shape.n_prompts > limits.max_prompts)
    throw invalid_param(
        "prompt", "'prompt' may hold at most " + std::to_string(limits.max_prompts) + " prompts");
  const int64_t context_length = bounds.context_length;
  ReservationSize r;
  r.prompt_tokens = std::max<int64_t>(0, shape.prompt_tokens_upper_bound);
  if (shape.max_tokens) {
    const int64_t cap = context_length > 0 ? context_length : limits.max_tokens_cap;
    const std::string param = max_tokens_param(shape);
    if (*shape.max_tokens < 0 || *shape.max_tokens > cap)
      throw invalid_param(param, "'" + param + "' must be at most " + std::to_string(cap) +
                                     (context_length > 0 ? " (the model's context length)" : ""));
    r.max_tokens = *shape.max_tokens;
    r.max_tokens_asked = true;
  } else {
    // The model's own output limit bounds a choice (the upstream stops there; a catalogue model
    // of 1M context and 128k output would otherwise hold 1M tokens' price per request). Else a
    // known context does (the prompt takes at least a token): reserve it whole. Its part past
    // the prompt cannot be known here, the prompt bound being bytes, not tokens (context minus
    // the bound would be less than the upstream may use).
    if (bounds.max_output_tokens > 0)
      r.max_tokens = context_length > 0 ? std::min(bounds.max_output_tokens, context_length)
                                        : bounds.max_output_tokens;
    else
      r.max_tokens = context_length > 0 ? context_length : limits.default_max_tokens;
    r.write_max_tokens = context_length <= 0 && bounds.max_output_tokens <= 0;
  }
  const auto completion = (Checked(r.max_tokens) * shape.n * shape.n_prompts).value();
  const auto total = completion ? (Checked(r.prompt_tokens) + *completion).value() : std::nullopt;
  if (!total)
    throw invalid_param(max_tokens_param(shape),
                        "this request's tokens (prompts, and max_tokens x n x prompts) overflow");
  r.completion_tokens = *completion;
  r.total_tokens = *total;
  for (const Price& p : prices) {
    const auto cost = worst_case_cost(p, r.prompt_tokens, r.completion_tokens);
    if (!cost)
      throw invalid_param(max_tokens_param(shape),
                          "this request's worst-case cost does not fit in the gateway's money "
                          "(int64 nano-USD): lower max_tokens or n");
    r.cost = std::max(r.cost, *cost);
  }
  return r;
}

TokenUsage clamp_usage(const TokenUsage& u, const ReservationSize& r, bool* clamped) {
  const auto within = [](int64_t v, int64_t hi) { return std::clamp<int64_t>(v, 0, hi); };
  TokenUsage c;
  c.prompt_tokens = within(u.prompt_tokens, r.total_tokens);
  c.completion_tokens = within(u.completion_tokens, r.total_tokens);
  c.cached_tokens = within(u.cached_tokens, c.prompt_tokens);
  c.reasoning_tokens = within(u.reasoning_tokens, c.completion_tokens);
  if (c.prompt_tokens != u.prompt_tokens || c.completion_tokens != u.completion_tokens ||
      c.cached_tokens != u.cached_tokens || c.reasoning_tokens != u.reasoning_tokens)
    *clamped = true;
  return c;
}

NanoUsd charge_for(const Price& price, const TokenUsage& usage, const ReservationSize& r,
                   bool* clamped) {
  const auto cost = cost_of(price, usage);
  if (cost && *cost <= r.cost) return std::max<NanoUsd>(0, *cost);
  *clamped = true;
  return r.cost;
}

}  // namespace junction::gateway
