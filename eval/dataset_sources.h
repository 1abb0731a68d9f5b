// Where `junction eval --download` fetches each task's data: the original releases' URLs and
// how each lands in a --data folder (the layout of shared/datasets/). Pure: no I/O.
#pragma once

#include <string>
#include <vector>

namespace junction::eval {

// Members of an archive to keep: each whose name starts with member_prefix and ends with
// suffix lands at dest_prefix + the rest of its name.
struct ArchiveExtract {
  std::string member_prefix, suffix, dest_prefix;
};

struct DatasetSource {
  std::string task;     // the tasks' data family: mmlu, arc, hellaswag, truthfulqa, humaneval,
                        // mt_bench, aime24, amc23, gsm8k
  std::string url;      // the original release
  std::string dest;     // a plain file: its path under --data; "" for an archive
  std::string archive;  // "tar", "zip" or ""
  std::vector<ArchiveExtract> extract;  // for an archive
  bool optional = false;                // a licence file: a failure is reported, not fatal
};

// The sources the given eval tasks read (arc_challenge and arc_easy share one archive).
// Throws junction::Error for an unknown task.
std::vector<DatasetSource> dataset_sources(const std::vector<std::string>& tasks);

// The URL to fetch `url` from: itself, or with a mirror base, MIRROR/HOST/PATH (a local copy
// laid out by host, as tests serve with nginx and as `wget -x` saves).
std::string mirrored_url(const std::string& url, const std::string& mirror);

}  // namespace junction::eval
