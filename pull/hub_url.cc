#include "pull/hub_url.h"

#include <cctype>

namespace junction::pull {

std::string percent_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string normalize_endpoint(std::string_view endpoint) {
  std::string out(endpoint.empty() ? kDefaultHubEndpoint : endpoint);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

std::string resolve_url(std::string_view endpoint, const RepoId& repo, std::string_view revision,
                        std::string_view file) {
  return normalize_endpoint(endpoint) + "/" + percent_encode(repo.org, false) + "/" +
         percent_encode(repo.repo, false) + "/resolve/" + percent_encode(revision, false) + "/" +
         percent_encode(file, true);
}

std::string tree_url(std::string_view endpoint, const RepoId& repo, std::string_view revision) {
  return normalize_endpoint(endpoint) + "/api/models/" + percent_encode(repo.org, false) + "/" +
         percent_encode(repo.repo, false) + "/tree/" + percent_encode(revision, false) +
         "?recursive=true";
}

std::string repo_page_url(std::string_view endpoint, const RepoId& repo) {
  return normalize_endpoint(endpoint) + "/" + repo.str();
}

}  // namespace junction::pull
