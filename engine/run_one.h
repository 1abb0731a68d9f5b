// One request run to its end through the engine loop, for callers that want the answer rather
// than a stream: `junction run` and in-process eval submit to the same EngineLoop the server
// uses (one generation path: sampling, end-of-sequence, logprobs are the loop's), sized for one
// sequence at a time, and wait here.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/engine_loop.h"
#include "engine/request.h"

namespace junction {

// A loop for one sequence of up to n_ctx tokens (prompt + output) at a time; prompts are
// computed step_tokens at a time.
EngineOptions one_sequence_options(int64_t n_ctx, int64_t step_tokens = 512);

// Submits `request` and waits until it finishes. on_token sees each generated token as it
// arrives; returning false cancels the request (tokens the loop made before it saw the cancel
// are dropped). Throws junction::Error when the loop refuses the request (it needs more context
// than the loop holds) or the forward pass fails.
FinishInfo run_one(EngineLoop& loop, EngineRequest request,
                   const std::function<bool(const TokenEvent& token)>& on_token);

}  // namespace junction
