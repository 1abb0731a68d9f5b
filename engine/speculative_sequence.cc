#include "engine/speculative_sequence.h"

#include <algorithm>

#include "engine/drafter_model.h"

namespace junction {

SpeculativeSequence::SpeculativeSequence(const SpeculativeOptions& options,
                                         kernels::Backend& backend, int64_t capacity,
                                         KvCacheType kv_type, const SamplingParams& sampling)
    : length_(options.length) {
  if (options.draft_model)
    drafter_ = std::make_unique<ModelDrafter>(*options.draft_model, backend, capacity, kv_type,
                                              sampling.top_k == 1 ? 0.0f : sampling.temperature,
                                              sampling.seed);
  else
    drafter_ = std::make_unique<NgramDrafter>(options.ngram_config);
}

const Draft& SpeculativeSequence::propose(std::span<const int32_t> tokens, int64_t max_n) {
  draft_.tokens.clear();
  draft_.q.clear();
  const int64_t n = std::min(max_n, length_.next());
  if (n > 0) drafter_->propose(tokens, n, draft_);
  return draft_;
}

void SpeculativeSequence::observe(int64_t accepted) {
  const auto drafted = static_cast<int64_t>(draft_.tokens.size());
  if (drafted == 0) return;
  n_drafted_ += drafted;
  n_accepted_ += std::clamp<int64_t>(accepted, 0, drafted);
  length_.observe(drafted, accepted);
}

}  // namespace junction
