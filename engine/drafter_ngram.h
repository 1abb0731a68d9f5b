// Prompt-lookup drafting (Saxena 2023, "Prompt Lookup Decoding"; llama.cpp's lookup decoding):
// the last n tokens are looked up earlier in the prompt and output, and what followed their most
// recent earlier occurrence is proposed. Longer n-grams are tried first (n_max down to n_min, as
// llama.cpp's LLAMA_NGRAM_MAX 4 .. LLAMA_NGRAM_MIN 1). The continuation may run into the tokens
// it proposes itself, so a loop shorter than the draft is proposed whole. Costs no model: a
// backward scan of the history, O(history * n) per step.
#pragma once

#include "engine/drafter.h"

namespace junction {

struct NgramConfig {
  int64_t n_min = 1;
  int64_t n_max = 4;
};

class NgramDrafter : public Drafter {
 public:
  explicit NgramDrafter(NgramConfig config = {}) : config_(config) {}
  void propose(std::span<const int32_t> tokens, int64_t max_n, Draft& out) override;

 private:
  NgramConfig config_;
};

}  // namespace junction
