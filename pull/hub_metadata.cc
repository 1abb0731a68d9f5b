#include "pull/hub_metadata.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/json_depth.h"

namespace junction::pull {
namespace {

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<RemoteFile> parse_tree_listing(std::string_view text) {
  const auto json = parse_json(text);
  if (!json.is_array())
    throw Error("the hub's file list is not a JSON array (starts with '" +
                std::string(text.substr(0, 80)) + "')");
  std::vector<RemoteFile> files;
  for (const auto& item : json) {
    if (!item.is_object() || item.value("type", "file") != "file") continue;
    if (!item.contains("path") || !item["path"].is_string()) continue;
    RemoteFile f;
    f.path = item["path"].get<std::string>();
    if (item.contains("size") && item["size"].is_number_unsigned())
      f.size = item["size"].get<uint64_t>();
    if (item.contains("lfs") && item["lfs"].is_object()) {
      const auto& lfs = item["lfs"];
      // The tree API calls it "oid"; the older siblings listing called it "sha256".
      for (const char* key : {"oid", "sha256"})
        if (lfs.contains(key) && lfs[key].is_string() && is_sha256_hex(lfs[key].get<std::string>()))
          f.sha256 = lower(lfs[key].get<std::string>());
      if (lfs.contains("size") && lfs["size"].is_number_unsigned())
        f.size = lfs["size"].get<uint64_t>();
    }
    files.push_back(std::move(f));
  }
  return files;
}

std::string sha256_from_etag(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return is_sha256_hex(etag) ? lower(etag) : "";
}

}  // namespace junction::pull
