// The Hugging Face hub's URL layout: where a file of a repo is downloaded from and where its
// file list (with sizes and LFS sha256) is listed. Pure.
//   {endpoint}/{org}/{repo}/resolve/{revision}/{file}
//   {endpoint}/api/models/{org}/{repo}/tree/{revision}?recursive=true
#pragma once

#include <string>
#include <string_view>

#include "pull/catalog.h"

namespace junction::pull {

inline constexpr std::string_view kDefaultHubEndpoint = "https://huggingface.co";

// Percent-encodes everything but RFC 3986 unreserved characters; '/' kept when keep_slash.
std::string percent_encode(std::string_view text, bool keep_slash);

// The endpoint without trailing slashes ($HF_ENDPOINT or the default when empty).
std::string normalize_endpoint(std::string_view endpoint);

std::string resolve_url(std::string_view endpoint, const RepoId& repo, std::string_view revision,
                        std::string_view file);
std::string tree_url(std::string_view endpoint, const RepoId& repo, std::string_view revision);
// The repo's page, where a gated model's licence is accepted.
std::string repo_page_url(std::string_view endpoint, const RepoId& repo);

}  // namespace junction::pull
