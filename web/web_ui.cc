#include "web/web_ui.h"

#include "web/web_assets.h"

namespace junction::web {

bool serve_web_ui(const http::HttpRequest& http, http::HttpResponder& out) {
  const std::string& p = http.path;
  if (p != "/" && p != "/index.html" && !p.starts_with("/assets/")) return false;
  if (http.method != "GET" && http.method != "HEAD") return false;  // the router answers 404/405
  const std::string_view want = p == "/index.html" ? std::string_view("/") : std::string_view(p);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Security-Policy", kWebCsp},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  };
  for (const WebAsset& a : web_assets()) {
    if (a.path != want) continue;
    // The page names its assets by their hash, so it is revalidated; they never change.
    headers.emplace_back("Cache-Control",
                         a.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    out.send(200, a.content_type, std::string(a.body), headers);
    return true;
  }
  headers.emplace_back("Cache-Control", "no-store");
  out.send(404, "text/plain; charset=utf-8", "Not found.\n", headers);
  return true;
}

}  // namespace junction::web
