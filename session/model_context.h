// How much context a loaded model gets when nobody says: its own maximum for each of
// n_sequences, cut to the memory that was available before the weights loaded
// (model/context_fit.h). One sizing for every command that runs the engine loop over many
// sequences (`junction serve` without --ctx-size, in-process `junction eval`).
#pragma once

#include <cstdint>
#include <optional>

#include "model/context_fit.h"
#include "model/kv_cache_type.h"
#include "session/open_model.h"

namespace junction::session {

// `available`: MemAvailable read before the model was loaded (nullopt: unknown).
// `step_tokens`: the most tokens one forward pass computes (sizes the work buffers).
ContextFit fit_model_context(const OpenModel& m, int64_t n_sequences, int64_t step_tokens,
                             KvCacheType kv_type, std::optional<uint64_t> available);

}  // namespace junction::session
