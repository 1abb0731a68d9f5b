// The samples file of a `junction eval` run (JSON Lines, one finished document or sample a
// line, each with its "key"): the lines an interrupted run left are read back so that a resumed
// run skips them, and new lines are appended as documents finish. The file may have been cut
// mid-line by the interruption, or edited by hand; a line that is not a JSON object with a
// string "key", or that nests deeper than core/json_depth.h's bound (copying it later would
// recurse that deep), is treated like a cut line: its document is scored again.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "eval/data_files.h"

namespace junction::eval {

// The resumable lines of a samples file's text, by key (a later line wins).
std::map<std::string, Json> read_samples(std::string_view text);

class SamplesFile {
 public:
  // Reads `path` when it exists and opens it for appending; an empty path: no file, no resume.
  // Throws junction::Error when it cannot be written.
  explicit SamplesFile(const std::filesystem::path& path);

  // The line of an earlier run for `key`, or nullptr.
  const Json* find(const std::string& key) const;
  // Appends one line (thread-safe); a no-op without a path.
  void append(const Json& sample);

 private:
  std::filesystem::path path_;
  std::map<std::string, Json> done_;
  std::ofstream out_;
  std::mutex mutex_;
};

}  // namespace junction::eval
