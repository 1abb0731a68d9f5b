// One sequence being generated: its KV cache, its position, and the logits of its last token.
// Prompts are fed in chunks so a long prompt needs activation memory for one chunk only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/sampler.h"
#include "kernels/ops.h"
#include "model/model.h"

namespace junction {

class Sequence {
 public:
  Sequence(const Model& model, int64_t capacity);  // capacity: tokens of context

  // Appends tokens, computing them `chunk` at a time; returns the logits after the last one:
  // [vocab]. If all_logits is given, it receives the logits of every fed token: [n, vocab].
  std::span<float> feed(kernels::Backend& backend, std::span<const int32_t> tokens,
                        int64_t chunk = 512, std::vector<float>* all_logits = nullptr);

  int64_t position() const { return position_; }
  int64_t capacity() const { return cache_.capacity(); }
  const KvCache& cache() const { return cache_; }

 private:
  const Model& model_;
  KvCache cache_;
  ForwardScratch scratch_;
  std::vector<float> logits_;  // [vocab] or [chunk, vocab] while feeding with all_logits
  int64_t position_ = 0;
};

struct GenerationRequest {
  std::vector<int32_t> prompt;
  int64_t max_tokens = 16;
  SamplingParams sampling;
  std::vector<int32_t> stop_ids;  // end-of-sequence ids; generation stops after emitting one
  bool ignore_eos = false;
};

enum class FinishReason { kLength, kStop, kCancelled };

// Prefills the prompt, then samples up to max_tokens tokens, calling on_token after each (return
// false to stop early). `on_prefill_done` lets a caller time the phases without the engine
// reading clocks itself.
FinishReason generate(const Model& model, kernels::Backend& backend, Sequence& sequence,
                      const GenerationRequest& request,
                      const std::function<bool(int32_t token)>& on_token,
                      const std::function<void()>& on_prefill_done = {});

}  // namespace junction
