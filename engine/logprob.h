// Log-probabilities from one row of logits, the one log-softmax in junction: the server's
// `logprobs` / echo prompt logprobs (through the engine loop) and eval's loglikelihood scoring
// (eval/local_engine_backend.cc) both call it. Sums in double around the maximum, so a
// 150k-entry vocabulary loses nothing to cancellation.
#pragma once

#include <cstdint>
#include <span>

#include "engine/request.h"

namespace junction {

// log(sum_v exp(logits[v])), computed as max + log(sum exp(x - max)) in double. logits: [vocab].
double log_sum_exp(std::span<const float> logits);

// The first maximum's index, as torch.argmax picks among ties. logits: [vocab], non-empty.
int32_t first_argmax(std::span<const float> logits);

// `token`'s log-probability under softmax(logits), and the `top` most likely tokens (best first,
// ties to the lower id, as a stable sort by descending logit gives) when top > 0.
TokenEvent token_logprobs(std::span<const float> logits, int32_t token, int top);

}  // namespace junction
