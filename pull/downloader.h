// `junction pull` without the command line: lists a repo through the hub API, downloads each
// wanted file into the model cache as <file>.part (resuming with Range when one is left over),
// checks its size and sha256 against the hub's metadata, and renames it into place. A file is
// downloaded under an flock on <file>.lock, so a concurrent pull of the same file waits (and
// says so) instead of writing the same .part. The HTTP client, settings and progress reporter
// are passed in; nothing here is global.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_client.h"
#include "pull/catalog.h"
#include "pull/hub_metadata.h"
#include "pull/hub_url.h"
#include "pull/progress.h"

namespace junction::pull {

struct PullSettings {
  std::string endpoint = std::string(kDefaultHubEndpoint);
  std::string token;  // $HF_TOKEN; "" sends no Authorization
  std::filesystem::path cache_root;
};

// $HF_ENDPOINT, $HF_TOKEN and the cache root of model_cache.h.
PullSettings pull_settings_from_process();

class Downloader {
 public:
  Downloader(http::HttpClient& http, PullSettings settings, ProgressReporter& progress);

  // The repo's files at a revision (tree API).
  std::vector<RemoteFile> list_files(const RepoId& repo, std::string_view revision);

  // One file into the cache; returns its final path. Skips a file already there with the
  // expected size.
  std::filesystem::path download_file(const RepoId& repo, std::string_view revision,
                                      const RemoteFile& file);

  // Everything a model reference names; returns its cache path (the file, or the folder).
  std::filesystem::path pull(const ModelRef& ref);

 private:
  http::HttpHeaders auth_headers() const;
  [[noreturn]] void throw_http_error(const http::HttpResponseHead& head, const RepoId& repo,
                                     std::string_view what) const;
  std::filesystem::path pull_unchecked(const ModelRef& ref);

  http::HttpClient& http_;
  PullSettings settings_;
  ProgressReporter& progress_;
};

}  // namespace junction::pull
