// Loglikelihood requests exactly as lm-evaluation-harness computes them: the context/continuation
// split of `_encode_pair` (trailing context whitespace moves to the continuation; the whole
// string is tokenized and the context's own tokens are cut off its front; no BOS), then the sum
// of the continuation tokens' logprobs and whether every one of them was the greedy choice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eval/scoring_backend.h"

namespace junction::eval {

struct EncodedPair {
  std::vector<int32_t> context;       // tokens of the context (after moving trailing spaces)
  std::vector<int32_t> continuation;  // the whole string's tokens after the context's count
};

// lm-eval's _encode_pair. An empty context becomes [prefix_token].
EncodedPair encode_pair(ScoringBackend& backend, std::string_view context,
                        std::string_view continuation);

struct Loglikelihood {
  double logprob = 0;  // sum over continuation tokens, accumulated in double
  bool is_greedy = false;
  int64_t context_tokens = 0;
  std::vector<int32_t> continuation_tokens;
};

Loglikelihood loglikelihood(ScoringBackend& backend, std::string_view context,
                            std::string_view continuation);

// Python's str.rstrip() on whitespace (ASCII and the Unicode spaces Python strips); returns the
// number of bytes that are trailing whitespace.
size_t trailing_whitespace_bytes(std::string_view s);

}  // namespace junction::eval
