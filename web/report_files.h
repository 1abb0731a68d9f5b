// The reports folder (`--reports-dir DIR` on `junction serve` and the gateway): `junction
// compare` HTML reports and eval/bench result files, browsable from the web interface.
//   GET /reports/        {"data": [{path, size, modified_ms, type}]}, newest first
//   GET /reports/<path>  the file (a path relative to the folder, percent-encoded)
// Like the page, these need no key (a browser frame cannot send one): the folder is published
// to whoever reaches the listener, so only files of the listed types are served, and nothing
// hidden (a name starting with "."), above the folder or reached through a link out of it.
// Each file comes with a sandboxing Content-Security-Policy: a report's own inline style and
// script run, in an opaque origin that can neither read the interface's storage (where the
// keys are) nor call the API, and fetch nothing.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "http/http_server.h"

namespace junction::web {

inline constexpr const char* kReportCsp =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; sandbox allow-scripts; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'";

// The file that `encoded` (the URL path after "/reports/") names inside `root`, or nullopt when
// it is not a servable file there: a bad escape, an empty, ".", ".." or hidden segment, a NUL
// or backslash, a type not listed, not a regular file, or a real path outside the root.
std::optional<std::filesystem::path> report_file(const std::filesystem::path& root,
                                                 std::string_view encoded);

// The listing GET /reports/ answers: the servable files under `root` (up to 4 folders deep,
// at most 2000 of the first 20000 entries, links not followed), newest first. A file over
// 16 MiB is listed but answered 413.
std::string report_listing_json(const std::filesystem::path& root);

// True when `http` is a /reports route, which is then answered; `root` empty: 404 naming the
// flag. False leaves the request to the API router.
bool serve_reports(const std::string& root, const http::HttpRequest& http,
                   http::HttpResponder& out);

}  // namespace junction::web
