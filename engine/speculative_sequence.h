// One sequence's speculative decoding: its drafter (prompt lookup or a draft model), its adaptive
// draft length (engine/speculative.h) and its acceptance counts. The engine loop asks it for a
// draft before each decode step, verifies the draft in the same forward as everyone else's
// tokens, and reports back how many tokens the target kept.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "engine/drafter.h"
#include "engine/drafter_ngram.h"
#include "engine/sampler.h"
#include "engine/speculative.h"
#include "kernels/ops.h"
#include "model/model.h"

namespace junction {

struct SpeculativeOptions {
  const Model* draft_model = nullptr;  // --model-draft; must outlive the engine loop
  bool ngram = false;                  // --ngram (used when there is no draft model)
  NgramConfig ngram_config;
  DraftLengthConfig length;  // length.max_length: --draft-max
  bool enabled() const { return (draft_model != nullptr || ngram) && length.max_length > 0; }
};

class SpeculativeSequence {
 public:
  // capacity: tokens the sequence may reach (prompt + max_tokens).
  SpeculativeSequence(const SpeculativeOptions& options, kernels::Backend& backend,
                      int64_t capacity, KvCacheType kv_type, const SamplingParams& sampling);

  // The draft for this decode step, at most max_n tokens (possibly none). tokens: the sequence
  // so far, the last one not yet computed.
  const Draft& propose(std::span<const int32_t> tokens, int64_t max_n);
  const Draft& draft() const { return draft_; }
  // The target kept `accepted` of the last draft's tokens.
  void observe(int64_t accepted);

  int64_t n_drafted() const { return n_drafted_; }
  int64_t n_accepted() const { return n_accepted_; }

 private:
  std::unique_ptr<Drafter> drafter_;
  DraftLength length_;
  Draft draft_;
  int64_t n_drafted_ = 0, n_accepted_ = 0;
};

}  // namespace junction
