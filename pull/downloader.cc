#include "pull/downloader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <system_error>

#include "pull/file_lock.h"
#include "pull/model_cache.h"
#include "pull/resume.h"
#include "pull/sha256.h"

namespace junction::pull {
namespace {

namespace fs = std::filesystem;

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The .part being written; closes on every path out, syncs before the rename.
class PartFile {
 public:
  PartFile(const fs::path& path, bool append) : path_(path) {
    f_ = std::fopen(path.c_str(), append ? "ab" : "wb");
    if (f_ == nullptr) throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  ~PartFile() {
    if (f_ != nullptr) std::fclose(f_);
  }
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  void write(std::string_view data) {
    if (std::fwrite(data.data(), 1, data.size(), f_) != data.size())
      throw Error("writing " + path_.string() + " failed: " + std::strerror(errno));
  }
  void sync_and_close() {
    const bool ok = std::fflush(f_) == 0 && ::fsync(fileno(f_)) == 0;
    const bool closed = std::fclose(f_) == 0;
    f_ = nullptr;
    if (!ok || !closed)
      throw Error("writing " + path_.string() + " failed: " + std::strerror(errno));
  }

 private:
  fs::path path_;
  std::FILE* f_ = nullptr;
};

uint64_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

}  // namespace

PullSettings pull_settings_from_process() {
  PullSettings s;
  s.endpoint = normalize_endpoint(env_or_empty("HF_ENDPOINT"));
  s.token = env_or_empty("HF_TOKEN");
  s.cache_root = cache_root(cache_env_from_process());
  return s;
}

Downloader::Downloader(http::HttpClient& http, PullSettings settings, ProgressReporter& progress)
    : http_(http), settings_(std::move(settings)), progress_(progress) {
  settings_.endpoint = normalize_endpoint(settings_.endpoint);
}

http::HttpHeaders Downloader::auth_headers() const {
  if (settings_.token.empty()) return {};
  return {{"Authorization", "Bearer " + settings_.token}};
}

void Downloader::throw_http_error(const http::HttpResponseHead& head, const RepoId& repo,
                                  std::string_view what) const {
  const std::string status = "HTTP " + std::to_string(head.status) + " from " + head.url;
  if (head.status == 401 || head.status == 403) {
    throw Error(std::string(what) + ": access denied (" + status +
                "). The model may be gated or private: " +
                (settings_.token.empty()
                     ? "set HF_TOKEN to a Hugging Face access token "
                       "(https://huggingface.co/settings/tokens)"
                     : "HF_TOKEN is set; check that it is valid and has read access") +
                ", and accept the model licence at " + repo_page_url(settings_.endpoint, repo));
  }
  if (head.status == 404)
    throw Error(std::string(what) + ": not found (" + status +
                "); check the repository and file names (junction pull --list shows the aliases)");
  std::string body = head.error_body.substr(0, 300);
  for (char& c : body)
    if (c == '\n' || c == '\r') c = ' ';
  throw Error(std::string(what) + ": " + status + (body.empty() ? "" : ": " + body));
}

std::vector<RemoteFile> Downloader::list_files(const RepoId& repo, std::string_view revision) {
  const auto [head, body] =
      http_.get_text(tree_url(settings_.endpoint, repo, revision), auth_headers());
  if (head.status != 200) throw_http_error(head, repo, "listing " + repo.str());
  return parse_tree_listing(body);
}

fs::path Downloader::download_file(const RepoId& repo, std::string_view revision,
                                   const RemoteFile& file) {
  const fs::path final_path = cache_path(settings_.cache_root, repo, file.path);
  const fs::path part_path = final_path.string() + ".part";
  const std::string what = repo.str() + "/" + file.path;
  std::error_code ec;
  auto complete = [&] {
    return fs::is_regular_file(final_path, ec) &&
           (!file.size || size_or_zero(final_path) == *file.size);
  };
  if (complete()) return final_path;
  fs::create_directories(final_path.parent_path(), ec);
  if (ec) throw Error("cannot create " + final_path.parent_path().string() + ": " + ec.message());
  // One writer per .part: another pull of the same file (a second terminal, a server resolving
  // the same alias) waits here, then finds the file complete.
  const fs::path lock_path = final_path.string() + ".lock";
  std::optional<FileLock> lock = FileLock::try_acquire(lock_path);
  if (!lock) {
    progress_.note("waiting: another junction pull is downloading " + what + " (lock " +
                   lock_path.string() + ")");
    lock = FileLock::acquire(lock_path);
  }
  if (complete()) return final_path;

  ResumePlan plan = plan_resume(size_or_zero(part_path), file.size);
  if (plan.discard_part) fs::remove(part_path, ec);
  if (file.size) {
    const auto space = fs::space(final_path.parent_path(), ec);
    if (!ec && space.available < *file.size - plan.offset)
      throw Error("not enough disk space for " + file.path + ": needs " +
                  format_bytes(*file.size - plan.offset) + ", " + format_bytes(space.available) +
                  " free in " + final_path.parent_path().string());
  }
  const std::string url = resolve_url(settings_.endpoint, repo, revision, file.path);
  Sha256 hasher;
  if (plan.offset > 0) hasher.update_from_file(part_path, plan.offset);
  uint64_t written = plan.offset;  // bytes in the .part
  std::string expected_sha = file.sha256;
  std::optional<uint64_t> expected_size = file.size;

  // At most two requests: a Range request, then a plain one if the server's answer to the
  // range made no sense for the .part we have.
  for (bool done = plan.complete; !done;) {
    http::HttpHeaders headers = auth_headers();
    if (!plan.range_header.empty()) headers.emplace_back("Range", plan.range_header);
    ResumeAction action = ResumeAction::kFail;
    std::optional<PartFile> part;
    const http::HttpResponseHead head = http_.get(
        url, headers,
        [&](const http::HttpResponseHead& h) {
          action = decide_resume(h.status, plan.offset, h.header("content-range"));
          if (action == ResumeAction::kRestartWithBody) {
            hasher = Sha256();
            written = 0;
          }
          if (action != ResumeAction::kAppend && action != ResumeAction::kRestartWithBody)
            return false;
          if (!expected_size && h.status == 200 && !h.header("content-length").empty())
            expected_size = std::stoull(h.header("content-length"));
          part.emplace(part_path, action == ResumeAction::kAppend);
          progress_.begin(file.path, written, expected_size);
          return true;
        },
        [&](std::string_view chunk) {
          part->write(chunk);
          hasher.update(chunk);
          written += chunk.size();
          progress_.advance(chunk.size());
        });
    if (head.status < 200 || head.status >= 300) {
      action = decide_resume(head.status, plan.offset, head.header("content-range"));
      if (action == ResumeAction::kFail) throw_http_error(head, repo, "downloading " + what);
    }
    if (expected_sha.empty())
      expected_sha = sha256_from_etag(head.header_anywhere("x-linked-etag"));
    if (expected_sha.empty()) expected_sha = sha256_from_etag(head.header_anywhere("etag"));
    if (action == ResumeAction::kRetryWithoutRange) {
      if (plan.offset == 0)
        throw Error("downloading " + what +
                    ": the server answered a plain GET with a partial range");
      fs::remove(part_path, ec);
      plan = {};
      hasher = Sha256();
      written = 0;
      continue;
    }
    if (part) {
      part->sync_and_close();
      progress_.end();
    }
    done = true;
  }

  if (expected_size && written != *expected_size) {
    throw Error("downloading " + what + ": got " + std::to_string(written) +
                " bytes, the hub said " + std::to_string(*expected_size) +
                " (connection cut?); run the pull again to resume");
  }
  const std::string actual_sha = hasher.hex_digest();
  if (!expected_sha.empty() && actual_sha != expected_sha) {
    fs::remove(part_path, ec);
    throw Error("sha256 mismatch for " + what + ": expected " + expected_sha + ", got " +
                actual_sha + "; the download was deleted, run the pull again");
  }
  fs::rename(part_path, final_path, ec);
  if (ec) throw Error("cannot rename " + part_path.string() + " into place: " + ec.message());
  return final_path;
}

fs::path Downloader::pull_unchecked(const ModelRef& ref) {
  const std::vector<RemoteFile> listing = list_files(ref.repo, ref.revision);
  if (!ref.file.empty()) {
    for (const auto& f : listing)
      if (f.path == ref.file) return download_file(ref.repo, ref.revision, f);
    std::string ggufs;
    for (const auto& f : listing)
      if (f.path.ends_with(".gguf")) ggufs += (ggufs.empty() ? "" : ", ") + f.path;
    throw Error(ref.file + " is not in " + ref.repo.str() + " at revision " + ref.revision +
                (ggufs.empty() ? "" : "; its GGUF files are: " + ggufs));
  }
  std::vector<std::string> paths;
  for (const auto& f : listing) paths.push_back(f.path);
  paths = order_model_folder_files(std::move(paths));
  if (std::find(paths.begin(), paths.end(), "config.json") == paths.end())
    throw Error(ref.repo.str() + " has no config.json at revision " + ref.revision +
                ": not a Hugging Face model folder (for a GGUF repo give hf://ORG/REPO/FILE)");
  for (const auto& path : paths)
    for (const auto& f : listing)
      if (f.path == path) download_file(ref.repo, ref.revision, f);
  return cache_path(settings_.cache_root, ref);
}

fs::path Downloader::pull(const ModelRef& ref) {
  try {
    return pull_unchecked(ref);
  } catch (const http::NetworkError& e) {
    throw Error("cannot reach " + e.host() + " (offline?): " + e.what() +
                ". Models pulled before are in the cache at " + settings_.cache_root.string());
  }
}

}  // namespace junction::pull
