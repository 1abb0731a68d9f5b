// The reports folder against a folder built here: the files it lists and serves, and every way
// out of it refused (hand-chosen paths: "..", encoded "..", hidden names, a link leading out,
// NUL, backslash, bad escapes, types not published), with the sandboxing CSP on what it serves;
// a file over 16 MiB is refused with 413 without being read.
#include "web/report_files.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/recorded_responder.h"

namespace junction::web {
namespace {

namespace fs = std::filesystem;

using Recorded = test::RecordedResponder;

class ReportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("junction-reports-" + std::to_string(getpid()));
    fs::remove_all(base_);
    root_ = base_ / "reports";
    fs::create_directories(root_ / "sub");
    fs::create_directories(root_ / ".git");
    fs::create_directories(root_ / "a/b/c/d");
    fs::create_directories(base_ / "outside");
    write(root_ / "compare.html", "<!doctype html><table><tr><td>q</td></tr></table>");
    write(root_ / "sub/result.json", "{\"ok\":true}");
    write(root_ / "notes.md", "# notes");
    write(root_ / ".hidden.html", "hidden");
    write(root_ / ".git/config.json", "{}");
    write(root_ / "program.exe", "MZ");
    write(root_ / "a/b/c/d/deep.json", "{}");
    write(base_ / "outside/secret.txt", "secret");
    write(base_ / "outside.html", "outside");
    fs::create_symlink(base_ / "outside/secret.txt", root_ / "link-out.txt");
    fs::create_symlink(base_ / "outside", root_ / "dir-out");
    // Oldest to newest: notes.md, sub/result.json, compare.html.
    const auto t = fs::file_time_type::clock::now();
    fs::last_write_time(root_ / "notes.md", t - std::chrono::hours(3));
    fs::last_write_time(root_ / "sub/result.json", t - std::chrono::hours(2));
    fs::last_write_time(root_ / "compare.html", t - std::chrono::hours(1));
  }
  void TearDown() override { fs::remove_all(base_); }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  Recorded get(const std::string& path, const std::string& root = "") {
    http::HttpRequest r;
    r.method = "GET";
    r.path = path;
    Recorded out;
    EXPECT_TRUE(serve_reports(root.empty() ? root_.string() : root, r, out)) << path;
    return out;
  }

  fs::path base_, root_;
};

TEST_F(ReportFiles, ServesTheFilesInsideTheFolder) {
  EXPECT_EQ(report_file(root_, "compare.html"), fs::canonical(root_ / "compare.html"));
  EXPECT_EQ(report_file(root_, "sub/result.json"), fs::canonical(root_ / "sub/result.json"));
  EXPECT_EQ(report_file(root_, "sub%2Fresult.json"), fs::canonical(root_ / "sub/result.json"));
  EXPECT_EQ(report_file(root_, "compar%65.html"), fs::canonical(root_ / "compare.html"));
  EXPECT_EQ(report_file(root_, "a/b/c/d/deep.json"), fs::canonical(root_ / "a/b/c/d/deep.json"));
}

TEST_F(ReportFiles, RefusesEveryWayOut) {
  for (const char* path : {"../outside/secret.txt",
                           "..%2Foutside%2Fsecret.txt",
                           "%2e%2e/outside/secret.txt",
                           "%2E%2E/outside.html",
                           "sub/../compare.html",
                           "sub/%2e%2e/compare.html",
                           "./compare.html",
                           "..",
                           "%2e",
                           "",
                           "/etc/passwd",
                           "sub//result.json",
                           ".hidden.html",
                           ".git/config.json",
                           "link-out.txt",
                           "dir-out/secret.txt",
                           "program.exe",
                           "sub",
                           "missing.html",
                           "compare.html%00.txt",
                           "sub%5C..%5Ccompare.html",
                           "sub\\result.json",
                           "%",
                           "%2",
                           "%zz.html",
                           "compare.html/"}) {
    EXPECT_EQ(report_file(root_, path), std::nullopt) << path;
    const Recorded r = get(std::string("/reports/") + path);
    if (std::string_view(path).empty()) continue;  // "/reports/" is the listing
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << path;
  }
  // A root that does not exist serves nothing.
  EXPECT_EQ(report_file(base_ / "nothing", "compare.html"), std::nullopt);
}

TEST_F(ReportFiles, ListsWhatItServesNewestFirst) {
  const auto j = nlohmann::json::parse(report_listing_json(root_));
  std::vector<std::string> paths;
  for (const auto& f : j["data"]) paths.push_back(f["path"]);
  // Nothing hidden, linked out, of an unpublished type, or deeper than four folders
  // (a/b/c/d/deep.json is the fifth level).
  EXPECT_EQ(paths, (std::vector<std::string>{"compare.html", "sub/result.json", "notes.md"}));
  EXPECT_EQ(j["data"][0]["size"], 49);
  EXPECT_EQ(j["data"][0]["type"], "text/html; charset=utf-8");
  EXPECT_EQ(j["data"][2]["type"], "text/plain; charset=utf-8");
  EXPECT_GT(j["data"][0]["modified_ms"].get<int64_t>(), j["data"][1]["modified_ms"].get<int64_t>());

  const Recorded listing = get("/reports/");
  EXPECT_EQ(listing.status, 200);
  EXPECT_EQ(listing.type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(listing.body), j);
  EXPECT_EQ(get("/reports").body, listing.body);
}

TEST_F(ReportFiles, AFileComesSandboxed) {
  const Recorded r = get("/reports/compare.html");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "<!doctype html><table><tr><td>q</td></tr></table>");
  EXPECT_EQ(r.header("Content-Security-Policy"),
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
            "img-src data:; sandbox allow-scripts; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'self'");
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(get("/reports/sub/result.json").type, "application/json");
}

TEST_F(ReportFiles, AFileOver16MiBIsListedButNotRead) {
  write(root_ / "huge.json", "");
  fs::resize_file(root_ / "huge.json", (16u << 20) + 1);  // sparse: nothing written
  EXPECT_NE(report_listing_json(root_).find("huge.json"), std::string::npos);
  const Recorded r = get("/reports/huge.json");
  EXPECT_EQ(r.status, 413);
  EXPECT_LT(r.body.size(), 1000u);
  fs::resize_file(root_ / "huge.json", 16u << 20);
  EXPECT_EQ(get("/reports/huge.json").status, 200);
}

TEST_F(ReportFiles, WithoutAFolderItSaysWhichFlag) {
  http::HttpRequest r;
  r.method = "GET";
  r.path = "/reports/";
  Recorded out;
  EXPECT_TRUE(serve_reports("", r, out));
  EXPECT_EQ(out.status, 404);
  EXPECT_NE(out.body.find("--reports-dir"), std::string::npos) << out.body;
  // Other paths and methods are left to the API router.
  r.path = "/reportsx";
  EXPECT_FALSE(serve_reports(root_.string(), r, out));
  r.path = "/reports/compare.html";
  r.method = "POST";
  EXPECT_FALSE(serve_reports(root_.string(), r, out));
}

}  // namespace
}  // namespace junction::web
