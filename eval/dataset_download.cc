#include "eval/dataset_download.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "eval/dataset_sources.h"
#include "eval/tar_archive.h"
#include "eval/zip_archive.h"
#include "http/http_client.h"
#include "pull/sha256.h"

namespace junction::eval {
namespace {

namespace fs = std::filesystem;

// GETs url into `path` (via path.part); returns the bytes written.
uint64_t fetch(http::HttpClient& client, const std::string& url, const fs::path& path) {
  fs::create_directories(path.parent_path());
  const fs::path part = path.string() + ".part";
  uint64_t bytes = 0;
  {
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + part.string());
    const http::HttpResponseHead head = client.get(
        url, {}, [](const http::HttpResponseHead&) { return true; },
        [&](std::string_view chunk) {
          out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
          bytes += chunk.size();
        });
    if (head.status < 200 || head.status >= 300) {
      out.close();
      fs::remove(part);
      throw Error("GET " + url + ": HTTP " + std::to_string(head.status));
    }
    if (!out.flush()) throw Error("cannot write " + part.string());
  }
  fs::rename(part, path);
  return bytes;
}

std::string file_hash(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return pull::sha256_hex(ss.str());
}

void write_member(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  const fs::path part = path.string() + ".part";
  {
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out.flush()) throw Error("cannot write " + part.string());
  }
  fs::rename(part, path);
}

// The destination of an archive member, or "" when no rule keeps it. Names with ".." or an
// absolute path are refused rather than written outside the folder.
std::string member_dest(const DatasetSource& s, const std::string& name) {
  if (name.find("..") != std::string::npos || name.rfind('/', 0) == 0) return "";
  for (const ArchiveExtract& e : s.extract)
    if (name.rfind(e.member_prefix, 0) == 0 && name.size() >= e.suffix.size() &&
        name.compare(name.size() - e.suffix.size(), e.suffix.size(), e.suffix) == 0 &&
        name.find('/', e.member_prefix.size()) == std::string::npos)
      return e.dest_prefix + name.substr(e.member_prefix.size());
  return "";
}

bool all_present(const Json& entry, const fs::path& dir) {
  if (!entry.is_object() || !entry.contains("files") || entry["files"].empty()) return false;
  for (const auto& [rel, hash] : entry["files"].items())
    if (!fs::exists(dir / rel)) return false;
  return true;
}

}  // namespace

Json download_datasets(const DownloadOptions& o) {
  const std::vector<DatasetSource> sources = dataset_sources(o.tasks);
  fs::create_directories(o.data_dir);
  const fs::path manifest_path = o.data_dir / "download.json";
  Json manifest = Json::object();
  if (fs::exists(manifest_path)) {
    try {
      manifest = Json::parse(read_data_file(manifest_path));
    } catch (const std::exception&) {
      manifest = Json::object();  // unreadable: fetch everything again
    }
  }
  if (!manifest.contains("sources") || !manifest["sources"].is_object())
    manifest["sources"] = Json::object();
  http::HttpClientOptions http;
  http.user_agent = "junction-eval/0.1";
  http.read_timeout = std::chrono::seconds(120);
  http::HttpClient client(http);
  auto say = [&](const std::string& text) {
    if (o.log) std::fprintf(o.log, "eval download: %s\n", text.c_str());
  };
  for (const DatasetSource& s : sources) {
    Json& entry = manifest["sources"][s.url];
    if (all_present(entry, o.data_dir)) {
      say("have " + s.url);
      continue;
    }
    const std::string url = mirrored_url(s.url, o.mirror);
    say("fetching " + url);
    Json files = Json::object();
    try {
      if (s.archive.empty()) {
        const fs::path dest = o.data_dir / s.dest;
        fetch(client, url, dest);
        files[s.dest] = file_hash(dest);
      } else {
        const fs::path tmp = o.data_dir / (".download." + s.archive);
        const uint64_t bytes = fetch(client, url, tmp);
        auto keep = [&](const std::string& name) { return !member_dest(s, name).empty(); };
        auto store = [&](const std::string& name, std::string content) {
          const std::string rel = member_dest(s, name);
          write_member(o.data_dir / rel, content);
          files[rel] = pull::sha256_hex(content);
        };
        entry["archive_sha256"] = file_hash(tmp);
        entry["archive_bytes"] = bytes;
        if (s.archive == "tar") {
          std::ifstream in(tmp, std::ios::binary);
          read_tar(in, keep, store);
        } else {
          read_zip(read_data_file(tmp), keep, store);
        }
        fs::remove(tmp);
        if (files.empty()) throw Error(url + " held none of the expected files");
      }
    } catch (const Error& e) {
      if (!s.optional) throw Error(std::string(e.what()) + " (data for " + s.task + ")");
      say(std::string("skipped (optional): ") + e.what());
      manifest["sources"].erase(s.url);
      continue;
    }
    entry["task"] = s.task;
    entry["fetched_from"] = url;
    entry["files"] = files;
    say("  " + std::to_string(files.size()) + " file(s) into " + o.data_dir.string());
    std::ofstream(manifest_path, std::ios::trunc) << manifest.dump(2) << "\n";
  }
  std::ofstream(manifest_path, std::ios::trunc) << manifest.dump(2) << "\n";
  return manifest;
}

}  // namespace junction::eval
