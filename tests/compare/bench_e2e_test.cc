// End to end: `junction serve` on the qwen3-e2e fixture on a free loopback port, a short
// `junction bench` against it (concurrency 1 and 2), `junction compare` of that result with the
// hand-written fixtures to Markdown and HTML; and the HTML rendered by headless Chromium
// (Debian's chromium), checked for drawn charts, a script that ran to its end, and a screenshot
// that is not a blank page. Screenshots stay in the build folder (tests/compare/*.png).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "compare/comparison.h"
#include "compare/report_html.h"
#include "tests/support/serve_process.h"

namespace junction::compare {
namespace {

namespace fs = std::filesystem;

const std::string kData = std::string(JUNCTION_TEST_DATA);
const fs::path kOutput = JUNCTION_TEST_OUTPUT;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path scratch_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("junction_compare_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The chromium executable, or "" when it is not installed.
std::string find_chromium() {
  for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/snap/bin/"})
    for (const char* name : {"chromium", "chromium-browser"})
      if (fs::exists(std::string(dir) + name)) return std::string(dir) + name;
  return "";
}

std::string chromium_command(const std::string& chromium, const fs::path& profile) {
  return "timeout 120 " + chromium +
         " --headless --no-sandbox --disable-gpu --disable-background-networking"
         " --disable-component-update --disable-sync --no-first-run --hide-scrollbars"
         " --user-data-dir=" +
         profile.string();
}

struct Rendered {
  std::string dom, log;
  uintmax_t png_bytes = 0, blank_png_bytes = 0;
};

// Renders `html` to `png` (1280x1600) and dumps its DOM after scripts ran; also screenshots an
// empty page of the same size for a baseline.
Rendered render(const std::string& chromium, const fs::path& html, const fs::path& png,
                const fs::path& dir) {
  Rendered r;
  const fs::path blank = dir / "blank.html", blank_png = dir / "blank.png";
  std::ofstream(blank) << "<!DOCTYPE html><html><body></body></html>";
  const std::string base = chromium_command(chromium, dir / "profile");
  const fs::path log = dir / "chromium.log";
  run(base + " --enable-logging=stderr --v=0 --dump-dom file://" + html.string() + " > " +
      (dir / "dom.html").string() + " 2> " + log.string());
  r.dom = read(dir / "dom.html");
  r.log = read(log);
  run(base + " --window-size=1280,1600 --screenshot=" + png.string() + " file://" + html.string() +
      " > /dev/null 2>&1");
  run(base + " --window-size=1280,1600 --screenshot=" + blank_png.string() + " file://" +
      blank.string() + " > /dev/null 2>&1");
  if (fs::exists(png)) r.png_bytes = fs::file_size(png);
  if (fs::exists(blank_png)) r.blank_png_bytes = fs::file_size(blank_png);
  return r;
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

void expect_rendered(const Rendered& r, size_t min_bars) {
  EXPECT_NE(r.dom.find("data-report-ready=\"1\""), std::string::npos)
      << "the report's script did not run to its end";
  EXPECT_GE(count(r.dom, "class=\"bar\""), min_bars);
  EXPECT_GE(count(r.dom, "<svg class=\"chart line-chart\""), 3u);
  EXPECT_EQ(r.log.find("Uncaught"), std::string::npos) << r.log;
  EXPECT_EQ(r.log.find("Refused to"), std::string::npos) << r.log;  // CSP: nothing fetched
  ASSERT_GT(r.blank_png_bytes, 0u) << "chromium wrote no screenshot of a blank page";
  EXPECT_GT(r.png_bytes, 4 * r.blank_png_bytes)
      << "screenshot (" << r.png_bytes << " bytes) hardly differs from a blank page ("
      << r.blank_png_bytes << " bytes)";
}

TEST(HeadlessChromium, FixtureReportRendersItsCharts) {
  const std::string chromium = find_chromium();
  if (chromium.empty())
    FAIL() << "chromium is not installed (Debian: apt-get install chromium; "
              "scripts/install_deps.sh does it): the visual check cannot run";
  const fs::path dir = scratch_dir("fixture");
  std::vector<std::pair<std::string, Json>> files;
  for (const char* name :
       {"eval-alpha.json", "bench-alpha.json", "eval-beta.json", "bench-beta.json"})
    files.emplace_back(name, Json::parse(read(kData + "/compare/" + name)));
  const fs::path html = dir / "report.html";
  std::ofstream(html) << render_html(build_comparison(files), {"Fixture report", "2025-01-01"});
  const fs::path png = kOutput / "report-fixture.png";
  const Rendered r = render(chromium, html, png, dir);
  expect_rendered(r, 8);
  std::printf("screenshot: %s (%ju bytes; blank page %ju)\n", png.c_str(), r.png_bytes,
              r.blank_png_bytes);
  fs::remove_all(dir);
}

TEST(BenchEndToEnd, ServeBenchCompareAndRender) {
  const fs::path dir = scratch_dir("e2e");
  testing::ServeProcess server(JUNCTION_BINARY,
                               testing::engine_serve_args(kData + "/models/qwen3-e2e-bf16"),
                               dir / "serve.log");
  ASSERT_GT(server.port(), 0) << "junction serve did not start:\n" << server.log();
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1";
  const fs::path bench_json = dir / "bench.json";
  const std::string bench = std::string(JUNCTION_BINARY) + " bench --endpoint " + endpoint +
                            " --model qwen3-e2e-bf16 --concurrency 1,2 --num-prompts 4"
                            " --warmup 1 --input-len 24 --output-len 8 --pid " +
                            std::to_string(server.pid()) + " --out " + bench_json.string() + " > " +
                            (dir / "bench.out").string() + " 2>&1";
  ASSERT_EQ(run(bench), 0) << read(dir / "bench.out");
  const Json result = Json::parse(read(bench_json));
  EXPECT_EQ(result["junction_bench_format"], 1);
  ASSERT_EQ(result["levels"].size(), 2u);
  for (const Json& level : result["levels"]) {
    EXPECT_EQ(level["completed"], 4);
    EXPECT_EQ(level["failed"], 0);
    EXPECT_DOUBLE_EQ(level["mean_output_tokens"].get<double>(), 8.0);  // ignore_eos
    EXPECT_GT(level["mean_input_tokens"].get<double>(), 10.0);         // the server's count
    EXPECT_GT(level["ttft_ms"]["p50"].get<double>(), 0.0);
    EXPECT_GT(level["tpot_ms"]["p50"].get<double>(), 0.0);
    EXPECT_GT(level["itl_ms"]["n"].get<int>(), 0);  // a gap between each two text chunks
    EXPECT_LE(level["itl_ms"]["n"].get<int>(), 4 * 7);
    EXPECT_GT(level["output_throughput"].get<double>(), 0.0);
    EXPECT_GT(level["process_rss_bytes"].get<double>(), 1e6);
  }
  EXPECT_EQ(result["levels"][0]["concurrency"], 1);
  EXPECT_EQ(result["levels"][1]["concurrency"], 2);
  EXPECT_GT(result["memory"]["process_peak_rss_bytes"].get<double>(), 1e6);
  EXPECT_TRUE(result["memory"]["server"].contains("max_model_len"));

  const fs::path md = dir / "table.md", html = dir / "report.html";
  const std::string compare = std::string(JUNCTION_BINARY) + " compare " + bench_json.string() +
                              " " + kData + "/compare/eval-alpha.json " + kData +
                              "/compare/bench-alpha.json --markdown " + md.string() + " --html " +
                              html.string() + " > " + (dir / "compare.out").string() + " 2>&1";
  ASSERT_EQ(run(compare), 0) << read(dir / "compare.out");
  const std::string table = read(md);
  EXPECT_NE(table.find("| qwen3-e2e-bf16 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| alpha-8b |"), std::string::npos) << table;
  EXPECT_NE(read(html).find("qwen3-e2e-bf16"), std::string::npos);

  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    fs::remove_all(dir);
    FAIL() << "chromium is not installed (scripts/install_deps.sh installs it): the rendered "
              "check of this report cannot run";
  }
  const fs::path png = kOutput / "report-e2e.png";
  expect_rendered(render(chromium, html, png, dir), 6);
  std::printf("screenshot: %s\n", png.c_str());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction::compare
