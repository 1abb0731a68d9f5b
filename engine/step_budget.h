// How many prompt tokens a forward step may carry while other sequences are decoding, so that
// their inter-token latency stays near a target. On a CPU a 512-token prefill chunk takes about
// a second on a 0.6B model and several on an 8B one; every decoding sequence waits for it.
// Sarathi-Serve's remedy is a per-step token budget sized to the latency objective; as the cost
// of a token differs by two orders of magnitude between machines and models, the budget here
// is learned from the steps themselves: an EWMA of the step time with decodes only, and one of
// the extra time per prompt token in steps that carry some. The budget is what fits in
// (target - decode step time), or in one decode step's time when decoding alone exceeds the
// target (prompts then get half of each step instead of starving), and at least `min_chunk`.
// Pure: the engine loop measures the steps and feeds them in; tests feed synthetic times.
#pragma once

#include <cstdint>

namespace junction {

struct StepBudgetConfig {
  double target_s = 0.2;      // step time aimed at while sequences decode; <= 0: no limit
  int64_t min_chunk = 16;     // prompt tokens a step may always carry
  int64_t max_tokens = 512;   // the scheduler's step budget
  double ewma_weight = 0.25;  // weight of the newest observation
};

class StepBudget {
 public:
  explicit StepBudget(StepBudgetConfig config);

  // A step ran: n_decode sequences decoded one token each, n_prefill prompt tokens were
  // computed, in `seconds`.
  void observe(int64_t n_decode, int64_t n_prefill, double seconds);
  // Prompt tokens the next step may carry when some sequence is decoding.
  int64_t prefill_budget() const;

  double decode_step_s() const { return decode_step_s_; }      // < 0 until observed
  double prefill_token_s() const { return prefill_token_s_; }  // < 0 until observed

 private:
  StepBudgetConfig config_;
  double decode_step_s_ = -1;
  double prefill_token_s_ = -1;
};

}  // namespace junction
