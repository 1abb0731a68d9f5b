#include "eval/samples_file.h"

#include <sstream>

#include "core/error.h"
#include "core/json_depth.h"

namespace junction::eval {

std::map<std::string, Json> read_samples(std::string_view text) {
  std::map<std::string, Json> done;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    Json j = parse_json<Json>(line);
    if (!j.is_object() || !j.contains("key") || !j["key"].is_string()) continue;
    std::string key = j["key"].get<std::string>();
    done[std::move(key)] = std::move(j);
  }
  return done;
}

SamplesFile::SamplesFile(const std::filesystem::path& path) : path_(path) {
  if (path.empty()) return;
  if (std::filesystem::exists(path)) {
    std::string text;
    {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream buffer;
      buffer << in.rdbuf();
      text = std::move(buffer).str();
    }
    done_ = read_samples(text);
    out_.open(path, std::ios::app | std::ios::binary);
    if (!text.empty() && text.back() != '\n') out_ << '\n';
  } else {
    out_.open(path, std::ios::binary);
  }
  if (!out_) throw Error("cannot write the samples file " + path.string());
}

const Json* SamplesFile::find(const std::string& key) const {
  const auto it = done_.find(key);
  return it == done_.end() ? nullptr : &it->second;
}

void SamplesFile::append(const Json& sample) {
  if (path_.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << sample.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out_.flush();
}

}  // namespace junction::eval
