// `junction eval --download`: fetches the tasks' data from the original releases
// (dataset_sources.h) into a --data folder, through pull's HTTP client (redirects, TLS,
// timeouts). Files arrive as NAME.part and are renamed into place; archives (MMLU's tar, ARC's
// zip) are unpacked and deleted. download.json in the folder records each URL, the files it
// gave and their sha256; a source whose files are all still there is not fetched again.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "eval/data_files.h"

namespace junction::eval {

struct DownloadOptions {
  std::filesystem::path data_dir;
  std::vector<std::string> tasks;
  std::string mirror;  // "": the real hosts; else MIRROR/HOST/PATH (see mirrored_url)
  std::FILE* log = stderr;
};

// Returns the manifest written to data_dir/download.json. Throws junction::Error naming the
// URL when a required file cannot be fetched.
Json download_datasets(const DownloadOptions& options);

}  // namespace junction::eval
