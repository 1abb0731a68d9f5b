// Serves the playground (GET / and /assets/...) from the assets compiled into the binary. These
// routes need no API key: the page holds no secrets, and asks for the key to call the API.
#pragma once

#include "http/http_server.h"

namespace junction::server {

// The Content-Security-Policy of every playground response: scripts, styles and requests only
// from this server, no inline script, no foreign images (a model's Markdown cannot exfiltrate
// the conversation through an image URL), no framing.
inline constexpr const char* kWebCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// True when `http` asked for a playground route, which is then answered (404 for an unknown
// asset); false leaves the request to the API router.
bool serve_web_ui(const http::HttpRequest& http, http::HttpResponder& out);

}  // namespace junction::server
