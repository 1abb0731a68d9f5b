// Shared helpers for the tokenizer tests: fixture paths and JSON loading.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace junction::tokenizer::testing {

inline std::string data_path(const std::string& rel) {
  return std::string(JUNCTION_TEST_DATA) + "/" + rel;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_text(path));
}

inline const char* kQwen3Dir = "models/qwen3-e2e-bf16";

}  // namespace junction::tokenizer::testing
