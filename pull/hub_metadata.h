// What the hub says about a repo's files, parsed from its answers: the tree API's JSON list
// (path, size, and for LFS files lfs.oid = the file's sha256) and the ETag / X-Linked-Etag
// header of a resolve response (the sha256 for LFS files, quoted). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace junction::pull {

struct RemoteFile {
  std::string path;              // inside the repo: "model-00001-of-00004.safetensors"
  std::optional<uint64_t> size;  // bytes
  std::string sha256;            // lower-case hex; "" when the hub gives none (non-LFS files)
};

// Parses GET /api/models/{org}/{repo}/tree/{rev}: [{"type":"file","path":..,"size":..,
// "lfs":{"oid":..,"size":..}}, ...]; directories are skipped. Throws junction::Error.
std::vector<RemoteFile> parse_tree_listing(std::string_view json);

// "\"<64 hex>\"" or W/"<64 hex>" -> the lower-case hex; anything else (a git sha1) -> "".
std::string sha256_from_etag(std::string_view etag);

}  // namespace junction::pull
