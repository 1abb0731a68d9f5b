#include "engine/drafter_model.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "engine/sampler.h"

namespace junction {

void check_draft_vocabulary(const ModelConfig& target, const ModelConfig& draft) {
  if (target.vocab_size != draft.vocab_size)
    throw Error("the draft model's vocabulary has " + std::to_string(draft.vocab_size) +
                " tokens but the target's has " + std::to_string(target.vocab_size) +
                ": a draft model must share the target's vocabulary");
}

ModelDrafter::ModelDrafter(const Model& draft, kernels::Backend& backend, int64_t capacity,
                           KvCacheType kv_type, float temperature, uint64_t seed)
    : model_(draft),
      backend_(backend),
      cache_(draft.config(), std::max<int64_t>(1, capacity), 16, kv_type),
      logits_(static_cast<size_t>(draft.config().vocab_size)),
      temperature_(temperature),
      rng_(seed ^ 0x9e3779b97f4a7c15ull) {}

const float* ModelDrafter::feed(std::span<const int32_t> ids, int64_t pos0) {
  constexpr int64_t kChunk = 256;  // bounds the draft's activation memory on a long catch-up
  const int64_t n = static_cast<int64_t>(ids.size());
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t count = std::min(kChunk, n - begin);
    model_.forward(backend_, cache_, ids.subspan(begin, count), pos0 + begin,
                   begin + count == n ? 1 : 0, logits_.data(), scratch_);
  }
  return logits_.data();
}

int32_t ModelDrafter::pick(const float* logits, Draft& out) {
  const int64_t V = model_.config().vocab_size;
  const std::span<const float> row(logits, static_cast<size_t>(V));
  if (temperature_ <= 0) return argmax(row);
  // q = softmax(logits / T), appended to out.q; the token is drawn from it.
  const size_t base = out.q.size();
  out.q.resize(base + static_cast<size_t>(V));
  float* q = out.q.data() + base;
  const float top = row[argmax(row)];
  double total = 0;
  for (int64_t i = 0; i < V; ++i) total += (q[i] = std::exp((row[i] - top) / temperature_));
  for (int64_t i = 0; i < V; ++i) q[i] = static_cast<float>(q[i] / total);
  const double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  double cumulative = 0;
  for (int64_t i = 0; i < V; ++i) {
    cumulative += q[i];
    if (r < cumulative && q[i] > 0) return static_cast<int32_t>(i);
  }
  return argmax(row);
}

void ModelDrafter::propose(std::span<const int32_t> tokens, int64_t max_n, Draft& out) {
  out.tokens.clear();
  out.q.clear();
  const int64_t L = static_cast<int64_t>(tokens.size());
  max_n = std::min(max_n, cache_.capacity() - L);
  if (max_n <= 0 || L == 0) return;
  // What the cache holds that still matches: rejected drafts past it are overwritten.
  int64_t valid = 0;
  const int64_t common = std::min<int64_t>(static_cast<int64_t>(fed_.size()), L);
  while (valid < common && fed_[valid] == tokens[valid]) ++valid;
  valid = std::min(valid, L - 1);  // the last token is fed again for its logits
  fed_.assign(tokens.begin(), tokens.end());
  const float* logits = feed(tokens.subspan(valid), valid);
  for (int64_t i = 0; i < max_n; ++i) {
    const int32_t t = pick(logits, out);
    out.tokens.push_back(t);
    if (i + 1 == max_n) break;  // the last draft is not fed: its logits are not needed
    fed_.push_back(t);
    logits = feed(std::span<const int32_t>(&fed_.back(), 1), L + i);
  }
}

}  // namespace junction
