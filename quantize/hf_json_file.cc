#include "quantize/hf_json_file.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/json_depth.h"

namespace junction {

nlohmann::json read_hf_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  check_json_depth(text.str(), path.string());
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": " + e.what());
  }
}

}  // namespace junction
