// A JSON file of a Hugging Face folder (config.json, tokenizer.json, tokenizer_config.json, ...)
// read for conversion: nesting bounded before parsing (core/json_depth.h), errors naming the file.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace junction {

nlohmann::json read_hf_json(const std::filesystem::path& path);

}  // namespace junction
