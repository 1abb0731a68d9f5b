#include "engine/sequence.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"

namespace junction {

Sequence::Sequence(const Model& model, int64_t capacity, KvCacheType type)
    : model_(model), cache_(model.config(), capacity, 16, type) {}

std::span<float> Sequence::feed(kernels::Backend& backend, std::span<const int32_t> tokens,
                                int64_t chunk, std::vector<float>* all_logits) {
  const int64_t V = model_.config().vocab_size;
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) throw Error("nothing to feed: the token list is empty");
  if (position_ + n > cache_.capacity())
    throw Error("the prompt and output need " + std::to_string(position_ + n) +
                " tokens of context but the context holds " + std::to_string(cache_.capacity()) +
                " (raise --ctx-size)");
  chunk = std::max<int64_t>(1, chunk);
  if (all_logits) all_logits->resize(static_cast<size_t>(n * V));
  int64_t last_row = 0;  // row of logits_ holding the last token's logits
  for (int64_t begin = 0; begin < n; begin += chunk) {
    const int64_t count = std::min(chunk, n - begin);
    const int64_t n_logits = all_logits ? count : (begin + count == n ? 1 : 0);
    logits_.resize(static_cast<size_t>(std::max<int64_t>(n_logits, 1) * V));
    model_.forward(backend, cache_, tokens.subspan(begin, count), position_, n_logits,
                   logits_.data(), scratch_);
    position_ += count;
    last_row = n_logits - 1;
    if (all_logits)
      std::memcpy(all_logits->data() + begin * V, logits_.data(), count * V * sizeof(float));
  }
  return {logits_.data() + last_row * V, static_cast<size_t>(V)};
}

void Sequence::rewind(int64_t position) {
  if (position < 0 || position > position_)
    throw Error("cannot rewind a sequence at position " + std::to_string(position_) + " to " +
                std::to_string(position));
  position_ = position;
}

}  // namespace junction
