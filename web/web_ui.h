// Serves the web interface (GET / and /assets/...: the playground, the gateway's dashboard and
// the reports browser, one page) from the assets compiled into the binary, on `junction serve`
// and the gateway alike. These routes need no key: the page holds no secrets, and asks for the
// API or admin key to call the API.
#pragma once

#include "http/http_server.h"

namespace junction::web {

// The Content-Security-Policy of every response of the page: scripts, styles and requests only
// from this server, no inline script, no foreign images (a model's Markdown cannot exfiltrate
// the conversation through an image URL), frames only of this server (the reports page shows a
// report, itself sandboxed: web/report_files.h), and the page itself never framed.
inline constexpr const char* kWebCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

// True when `http` asked for a playground route, which is then answered (404 for an unknown
// asset); false leaves the request to the API router.
bool serve_web_ui(const http::HttpRequest& http, http::HttpResponder& out);

}  // namespace junction::web
