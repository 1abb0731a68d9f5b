#include "engine/step_budget.h"

#include <algorithm>
#include <cmath>

namespace junction {

StepBudget::StepBudget(StepBudgetConfig config) : config_(config) {
  config_.max_tokens = std::max<int64_t>(1, config_.max_tokens);
  config_.min_chunk = std::clamp<int64_t>(config_.min_chunk, 1, config_.max_tokens);
  config_.ewma_weight = std::clamp(config_.ewma_weight, 0.01, 1.0);
}

void StepBudget::observe(int64_t n_decode, int64_t n_prefill, double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return;
  const double w = config_.ewma_weight;
  auto blend = [w](double& ewma, double value) {
    ewma = ewma < 0 ? value : ewma + w * (value - ewma);
  };
  if (n_prefill <= 0) {
    if (n_decode > 0) blend(decode_step_s_, seconds);
    return;
  }
  // A step with prompt tokens: what it took beyond a decode step (the weights are streamed once
  // either way), per prompt token. Before any decode-only step, the whole step is counted.
  const double base = n_decode > 0 && decode_step_s_ > 0 ? decode_step_s_ : 0.0;
  blend(prefill_token_s_, std::max(seconds - base, 0.0) / static_cast<double>(n_prefill));
}

int64_t StepBudget::prefill_budget() const {
  if (config_.target_s <= 0 || prefill_token_s_ <= 0) return config_.max_tokens;
  // When decoding alone takes longer than the target, prompts still get as much time per step
  // as the decodes: halving the decode rate instead of starving new requests.
  const double decode = std::max(decode_step_s_, 0.0);
  const double room = std::max(config_.target_s - decode, decode);
  const double tokens = std::floor(room / prefill_token_s_);
  if (!(tokens >= static_cast<double>(config_.min_chunk))) return config_.min_chunk;
  return static_cast<int64_t>(std::min(tokens, static_cast<double>(config_.max_tokens)));
}

}  // namespace junction
