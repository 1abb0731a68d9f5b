#include "session/end_of_sequence.h"

#include <algorithm>

namespace junction::session {

std::vector<int32_t> end_of_sequence_ids(const GenerationConfig& generation,
                                         const ModelConfig& config,
                                         std::optional<int32_t> tokenizer_eos) {
  std::vector<int32_t> ids;
  auto add = [&](int64_t id) {
    if (id >= 0 && id < config.vocab_size && std::find(ids.begin(), ids.end(), id) == ids.end())
      ids.push_back(static_cast<int32_t>(id));
  };
  for (const int64_t id : generation.eos_token_ids) add(id);
  for (const int64_t id : config.eos_token_ids) add(id);
  if (tokenizer_eos) add(*tokenizer_eos);
  return ids;
}

}  // namespace junction::session
