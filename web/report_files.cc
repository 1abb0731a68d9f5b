#include "web/report_files.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

#include "http/api_error.h"

namespace junction::web {
namespace {

namespace fs = std::filesystem;

// A report bigger than this is not read into memory to be sent (compare's reports are well under
// a megabyte; a result file of a large eval a few): anyone may ask, many at once.
constexpr uintmax_t kMaxFileBytes = 16ull << 20;
constexpr size_t kMaxListed = 2000;
// Entries looked at per listing, files of other types and folders included: a folder of a
// million files costs a bounded walk, not a minute.
constexpr size_t kMaxVisited = 20000;
constexpr int kMaxDepth = 4;

// The types served, by extension; anything else is not published. Markdown, CSV and logs are
// plain text, so that the browser shows them rather than downloading them.
const char* content_type(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".md" || ext == ".txt" || ext == ".log" || ext == ".csv" || ext == ".jsonl")
    return "text/plain; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  return nullptr;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool hidden(const fs::path& name) {
  const std::string s = name.string();
  return s.empty() || s[0] == '.';
}

// `p` lies inside `root` (both canonical): compared by components, so "/r/ab" is not in "/r/a".
bool inside(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q)
    if (q == p.end() || *r != *q) return false;
  return true;
}

int64_t modified_ms(const fs::directory_entry& e) {
  std::error_code ec;
  const auto t = e.last_write_time(ec);
  if (ec) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::file_clock::to_sys(t).time_since_epoch())
      .count();
}

void send_error(http::HttpResponder& out, const http::ApiError& e) {
  out.send(e.status, "application/json", e.to_json(),
           {{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
}

}  // namespace

std::optional<fs::path> report_file(const fs::path& root, std::string_view encoded) {
  const auto decoded = percent_decode(encoded);
  if (!decoded || decoded->empty()) return std::nullopt;
  fs::path rel;
  size_t start = 0;
  for (;;) {
    const size_t slash = decoded->find('/', start);
    const std::string segment =
        decoded->substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    // "." and ".." start with a dot, and so do hidden files: one rule refuses all three.
    if (segment.empty() || segment[0] == '.' ||
        segment.find_first_of(std::string_view("\\\0", 2)) != std::string::npos)
      return std::nullopt;
    rel /= segment;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (!content_type(rel)) return std::nullopt;
  std::error_code ec;
  const fs::path real_root = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  // The real path, links resolved: a link inside the folder that leads out of it is refused.
  const fs::path real = fs::canonical(real_root / rel, ec);
  if (ec || !inside(real_root, real) || !fs::is_regular_file(real, ec)) return std::nullopt;
  return real;
}

std::string report_listing_json(const fs::path& root) {
  struct Entry {
    std::string path;
    uintmax_t size;
    int64_t modified_ms;
    const char* type;
  };
  std::vector<Entry> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  size_t visited = 0;
  for (; !ec && it != fs::recursive_directory_iterator() && files.size() < kMaxListed &&
         visited < kMaxVisited;
       it.increment(ec), ++visited) {
    const fs::directory_entry& e = *it;
    std::error_code ignored;
    if (hidden(e.path().filename()) || e.is_symlink(ignored)) {
      if (e.is_directory(ignored)) it.disable_recursion_pending();
      continue;
    }
    if (e.is_directory(ignored)) {
      if (it.depth() + 1 >= kMaxDepth) it.disable_recursion_pending();
      continue;
    }
    const char* type = content_type(e.path());
    if (!type || !e.is_regular_file(ignored)) continue;
    files.push_back({e.path().lexically_relative(root).generic_string(), e.file_size(ignored),
                     modified_ms(e), type});
  }
  std::sort(files.begin(), files.end(), [](const Entry& a, const Entry& b) {
    return a.modified_ms != b.modified_ms ? a.modified_ms > b.modified_ms : a.path < b.path;
  });
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const Entry& f : files)
    data.push_back(
        {{"path", f.path}, {"size", f.size}, {"modified_ms", f.modified_ms}, {"type", f.type}});
  // Names are the operator's files, not necessarily UTF-8: replaced, never an exception.
  return nlohmann::ordered_json{{"data", data}}.dump(-1, ' ', false,
                                                     nlohmann::json::error_handler_t::replace);
}

bool serve_reports(const std::string& root, const http::HttpRequest& http,
                   http::HttpResponder& out) {
  const std::string& p = http.path;
  if (p != "/reports" && !p.starts_with("/reports/")) return false;
  if (http.method != "GET" && http.method != "HEAD") return false;  // the router answers
  if (root.empty()) {
    send_error(out, http::ApiError(404,
                                   "This server publishes no reports: start it with "
                                   "--reports-dir DIR",
                                   "invalid_request_error", "", "not_found"));
    return true;
  }
  if (p == "/reports" || p == "/reports/") {
    out.send(200, "application/json", report_listing_json(root),
             {{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
    return true;
  }
  const auto file = report_file(root, std::string_view(p).substr(9));
  std::error_code ec;
  if (!file) {
    send_error(out,
               http::ApiError(404, "No such report", "invalid_request_error", "", "not_found"));
    return true;
  }
  const uintmax_t size = fs::file_size(*file, ec);
  if (ec || size > kMaxFileBytes) {
    send_error(out, http::ApiError(413, "The report is larger than 16 MiB", "invalid_request_error",
                                   "", "too_large"));
    return true;
  }
  std::ifstream in(*file, std::ios::binary);
  std::string body(static_cast<size_t>(size), '\0');
  if (!in.read(body.data(), static_cast<std::streamsize>(size))) {
    send_error(out,
               http::ApiError(404, "No such report", "invalid_request_error", "", "not_found"));
    return true;
  }
  out.send(200, content_type(*file), std::move(body),
           {{"Content-Security-Policy", kReportCsp},
            {"X-Content-Type-Options", "nosniff"},
            {"Referrer-Policy", "no-referrer"},
            {"Cache-Control", "no-cache"}});
  return true;
}

}  // namespace junction::web
