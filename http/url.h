// Absolute http(s) URLs split into the parts a client connects with, and resolution of a
// redirect's Location (absolute, scheme-relative, absolute-path or relative) against the URL that
// answered. Pure. Not a general RFC 3986 parser: no userinfo, no IPv6 literals.
#pragma once

#include <string>
#include <string_view>

namespace junction::http {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case
  std::string port;    // explicit or the scheme's default ("443", "80")
  std::string target;  // path and query, always starting with '/'

  bool is_https() const { return scheme == "https"; }
  // scheme://host[:port] with the port only when it is not the default.
  std::string origin() const;
  std::string str() const { return origin() + target; }
};

// Throws junction::Error for anything but an absolute http(s) URL.
Url parse_url(std::string_view text);

// The URL a Location header points to, seen from `base`.
Url resolve_location(const Url& base, std::string_view location);

// A dotted-quad address in 127.0.0.0/8, ::1 or localhost: where plain http is allowed.
bool is_loopback_host(std::string_view host);

}  // namespace junction::http
