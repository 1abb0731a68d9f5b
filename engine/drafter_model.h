// Drafting with a small model of the same vocabulary (e.g. a Qwen3-0.6B for a Qwen3-8B): the
// draft model keeps its own KV cache for the sequence, catches up on the tokens it has not seen
// (the prompt, the tokens the target kept), and proposes n tokens one decode step at a time.
// Greedy requests draft greedily (point masses); sampled ones draw from the draft's softmax at
// the request's temperature and report it as q, so the rejection rule stays exact whatever the
// draft predicts. Costs per round: n draft decode steps, plus a prefill of whatever it missed.
#pragma once

#include <memory>
#include <random>

#include "engine/drafter.h"
#include "kernels/ops.h"
#include "model/model.h"

namespace junction {

// Throws junction::Error naming both sizes when the draft's vocabulary differs from the target's
// (a draft's token ids must mean the target's tokens).
void check_draft_vocabulary(const ModelConfig& target, const ModelConfig& draft);

class ModelDrafter : public Drafter {
 public:
  // capacity: tokens the sequence may reach (prompt + output + a draft). temperature <= 0: greedy.
  ModelDrafter(const Model& draft, kernels::Backend& backend, int64_t capacity, KvCacheType kv_type,
               float temperature, uint64_t seed);
  void propose(std::span<const int32_t> tokens, int64_t max_n, Draft& out) override;

 private:
  // Computes ids at positions pos0.. and returns the last one's logits: [vocab].
  const float* feed(std::span<const int32_t> ids, int64_t pos0);
  int32_t pick(const float* logits, Draft& out);

  const Model& model_;
  kernels::Backend& backend_;
  KvCache cache_;
  ForwardScratch scratch_;
  std::vector<float> logits_;  // [vocab]
  std::vector<int32_t> fed_;   // tokens whose KV is in cache_, in position order
  float temperature_;
  std::mt19937_64 rng_;
};

}  // namespace junction
