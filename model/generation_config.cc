#include "model/generation_config.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/json_depth.h"

namespace junction {

GenerationConfig parse_generation_config(const std::string& json_text, const std::string& what) {
  check_json_depth(json_text, what);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + " is not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw Error(what + " is not a JSON object");
  GenerationConfig g;
  auto number = [&](const char* key) -> std::optional<double> {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    if (!j[key].is_number()) throw Error(what + ": '" + key + "' must be a number");
    return j[key].get<double>();
  };
  if (j.contains("do_sample") && j["do_sample"].is_boolean())
    g.do_sample = j["do_sample"].get<bool>();
  g.temperature = number("temperature");
  g.top_p = number("top_p");
  g.min_p = number("min_p");
  g.repetition_penalty = number("repetition_penalty");
  if (auto k = number("top_k")) g.top_k = static_cast<int64_t>(*k);
  if (j.contains("eos_token_id")) {
    const auto& eos = j["eos_token_id"];
    if (eos.is_number_integer()) g.eos_token_ids.push_back(eos.get<int64_t>());
    if (eos.is_array())
      for (const auto& id : eos)
        if (id.is_number_integer()) g.eos_token_ids.push_back(id.get<int64_t>());
  }
  return g;
}

GenerationConfig load_generation_config(const std::string& model_dir) {
  const auto path = std::filesystem::path(model_dir) / "generation_config.json";
  if (!std::filesystem::exists(path)) return {};
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_generation_config(text.str(), path.string());
}

}  // namespace junction
