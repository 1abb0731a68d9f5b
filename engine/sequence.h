// One sequence's KV cache, its position, and the logits of its last token: the primitive under
// scoring (eval's loglikelihood), bench-model and the golden tests. Generation goes through the
// engine loop (engine/engine_loop.h, engine/run_one.h). Tokens are fed in chunks so a long
// prompt needs activation memory for one chunk only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/ops.h"
#include "model/model.h"

namespace junction {

class Sequence {
 public:
  // capacity: tokens of context; type: the KV cache's key and value types.
  Sequence(const Model& model, int64_t capacity, KvCacheType type = kKvCacheF32);

  // Appends tokens, computing them `chunk` at a time; returns the logits after the last one:
  // [vocab]. If all_logits is given, it receives the logits of every fed token: [n, vocab].
  std::span<float> feed(kernels::Backend& backend, std::span<const int32_t> tokens,
                        int64_t chunk = 512, std::vector<float>* all_logits = nullptr);

  // Forgets the tokens from `position` on (0 <= position <= position()): the next feed writes
  // over their cache rows. bench-model fills a depth once and measures from it again and again.
  void rewind(int64_t position);

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

}  // namespace junction
