#include "http/url.h"

#include <arpa/inet.h>

#include <cctype>
#include <string>

#include "core/error.h"

namespace junction::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string Url::origin() const {
  const bool default_port =
      (scheme == "https" && port == "443") || (scheme == "http" && port == "80");
  return scheme + "://" + host + (default_port ? "" : ":" + port);
}

Url parse_url(std::string_view text) {
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos)
    throw Error("'" + std::string(text) + "' is not an http(s) URL");
  Url url;
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https")
    throw Error("'" + std::string(text) + "': only http:// and https:// URLs are supported");
  std::string_view rest = text.substr(sep + 3);
  const size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (const size_t hash = target.find('#'); hash != std::string_view::npos)
    target = target.substr(0, hash);
  if (authority.find('@') != std::string_view::npos ||
      authority.find('[') != std::string_view::npos)
    throw Error("'" + std::string(text) +
                "': user names and IPv6 literals in URLs are not supported");
  const size_t colon = authority.find(':');
  url.host = lower(authority.substr(0, colon));
  url.port = colon == std::string_view::npos ? (url.is_https() ? "443" : "80")
                                             : std::string(authority.substr(colon + 1));
  if (url.host.empty() || url.port.empty() ||
      url.port.find_first_not_of("0123456789") != std::string::npos)
    throw Error("'" + std::string(text) + "' has no valid host[:port]");
  url.target = target.empty() ? "/" : std::string(target);
  if (url.target.front() == '?') url.target = "/" + url.target;
  return url;
}

Url resolve_location(const Url& base, std::string_view location) {
  if (const size_t hash = location.find('#'); hash != std::string_view::npos)
    location = location.substr(0, hash);
  if (location.find("://") != std::string_view::npos &&
      location.find("://") < location.find_first_of("/?"))
    return parse_url(location);
  if (location.starts_with("//")) return parse_url(base.scheme + ":" + std::string(location));
  Url url = base;
  if (location.starts_with("/")) {
    url.target = std::string(location);
  } else if (location.starts_with("?")) {
    url.target = base.target.substr(0, base.target.find('?')) + std::string(location);
  } else {
    const std::string path = base.target.substr(0, base.target.find('?'));
    url.target = path.substr(0, path.rfind('/') + 1) + std::string(location);
  }
  return url;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  // Only a dotted-quad address in 127.0.0.0/8: "127.evil.example" is a DNS name that can
  // resolve anywhere.
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(host).c_str(), &addr) != 1) return false;
  return (ntohl(addr.s_addr) >> 24) == 127;
}

}  // namespace junction::http
