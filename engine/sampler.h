// Picks the next token from a row of logits. Pure logic: no clocks, no global RNG; the seed
// fully determines the choices, so the same request with the same seed gives the same tokens.
//
// Order (as vLLM applies them): repetition penalty (HF's: divide positive logits, multiply
// negative ones, for every token seen in prompt or output), presence and frequency penalties
// (OpenAI's: over output tokens only), logit bias, then temperature, top-k, top-p, min-p.
// Temperature 0 is greedy (ties go to the lowest id, as torch.argmax does).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

namespace junction {

struct SamplingParams {
  float temperature = 1.0f;  // 0: greedy
  int64_t top_k = 0;         // 0: off
  float top_p = 1.0f;        // 1: off
  float min_p = 0.0f;        // 0: off
  float repetition_penalty = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::vector<std::pair<int32_t, float>> logit_bias;
  uint64_t seed = 0;
};

class Sampler {
 public:
  Sampler(const SamplingParams& params, std::span<const int32_t> prompt);

  // Applies the penalties and filters to `logits` (modified in place) and returns the chosen id.
  int32_t sample(std::span<float> logits);
  // What sample() draws from: the penalties and filters applied to `logits` (modified in place),
  // as (probability, id) pairs, valid until the next call. Greedy: one pair, the argmax.
  // Speculative decoding's accept rule needs it (engine/speculative.h).
  std::span<const std::pair<float, int32_t>> distribution(std::span<float> logits);
  // The next uniform draw in [0, 1) of the request's seeded generator.
  double uniform();
  // Records a token produced by the model (for the penalties).
  void accept(int32_t token);

  const SamplingParams& params() const { return params_; }

 private:
  void apply_penalties(std::span<float> logits) const;
  void mark_seen(int32_t token);

  SamplingParams params_;
  std::mt19937_64 rng_;
  std::unordered_map<int32_t, int32_t> output_counts_;  // token -> times generated
  std::vector<int32_t> seen_;  // distinct tokens of prompt and output (repetition penalty)
  std::vector<uint8_t> seen_mask_;
  std::vector<std::pair<float, int32_t>> candidates_;  // scratch
};

// Index of the largest value; the first one on ties.
int32_t argmax(std::span<const float> logits);

}  // namespace junction
