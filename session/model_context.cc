#include "session/model_context.h"

#include <algorithm>

#include "model/memory_footprint.h"

namespace junction::session {

ContextFit fit_model_context(const OpenModel& m, int64_t n_sequences, int64_t step_tokens,
                             KvCacheType kv_type, std::optional<uint64_t> available) {
  const ModelConfig& config = m.model->config();
  const int64_t n_seq = std::max<int64_t>(1, n_sequences);
  ContextFitInput in;
  in.model_max_ctx = config.max_position_embeddings;
  in.n_sequences = n_seq;
  in.weight_bytes = m.model->weights().file_bytes();
  in.work_bytes =
      forward_work_bytes(config, std::max<int64_t>(1, step_tokens), std::max<int64_t>(64, n_seq));
  in.kv_bytes_per_token = kv_bytes_per_token(config, kv_type);
  in.available_bytes = available;
  return fit_context(in);
}

}  // namespace junction::session
