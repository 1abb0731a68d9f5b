// The seam speculative decoding drafts through: given a sequence's tokens so far (prompt and
// output, the last one not yet computed by the target), propose up to n tokens that may come
// next. The target then verifies them all in one forward (engine/engine_loop.cc) and keeps the
// longest prefix the speculative rule (engine/speculative.h) accepts. One drafter per sequence,
// engine thread only. Drafters: prompt lookup (engine/drafter_ngram.h) and a small draft model
// (engine/drafter_model.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace junction {

struct Draft {
  std::vector<int32_t> tokens;
  // [tokens.size(), vocab]: the distribution each token was drawn from; empty when every token
  // was proposed with certainty (a point mass: prompt lookup, greedy drafting).
  std::vector<float> q;
};

class Drafter {
 public:
  virtual ~Drafter() = default;
  // Fills `out` with at most max_n tokens (none: nothing worth proposing now).
  virtual void propose(std::span<const int32_t> tokens, int64_t max_n, Draft& out) = 0;
};

}  // namespace junction
