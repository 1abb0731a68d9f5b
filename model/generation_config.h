// generation_config.json: the sampling defaults and end-of-sequence ids a model ships with.
// Every field is optional; absent means "use the caller's default".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace junction {

struct GenerationConfig {
  std::optional<bool> do_sample;
  std::optional<double> temperature, top_p, min_p, repetition_penalty;
  std::optional<int64_t> top_k;
  std::vector<int64_t> eos_token_ids;
};

// Reads model_dir/generation_config.json; a missing file gives an empty config.
GenerationConfig load_generation_config(const std::string& model_dir);
GenerationConfig parse_generation_config(const std::string& json_text, const std::string& what);

}  // namespace junction
