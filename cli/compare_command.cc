// `junction compare RESULT.json...`: eval and bench result files -> the comparison table in
// Markdown (stdout or --markdown FILE) and a self-contained HTML report (--html FILE). The
// work is in compare/.
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/output_file.h"
#include "compare/comparison.h"
#include "compare/report_html.h"
#include "compare/report_markdown.h"
#include "core/error.h"

namespace junction::cli {
namespace {

struct CompareCliOptions {
  std::vector<std::string> files;
  std::string markdown, html, title = "Model comparison";
};

int run_compare_command(const CompareCliOptions& o) {
  std::vector<std::pair<std::string, compare::Json>> files;
  for (const std::string& path : o.files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      files.emplace_back(path, compare::Json::parse(ss.str()));
    } catch (const nlohmann::json::exception& e) {
      throw Error(path + ": not JSON: " + e.what());
    }
  }
  const compare::Comparison c = compare::build_comparison(files);
  const std::string markdown = compare::render_markdown(c);
  if (o.markdown.empty() || o.markdown == "-")
    std::fputs(markdown.c_str(), stdout);
  else
    write_file_atomically(o.markdown, markdown);
  if (!o.html.empty()) {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    write_file_atomically(o.html, compare::render_html(c, {o.title, when}));
    std::fprintf(stderr, "compare: wrote %s\n", o.html.c_str());
  }
  return 0;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Eval and bench result files -> the comparison table (Markdown) and an HTML report");
  cmd->add_option("files", o->files, "Result JSON files of junction eval and junction bench")
      ->required();
  cmd->add_option("--markdown", o->markdown, "Write the Markdown table here (default: stdout)");
  cmd->add_option("--html", o->html, "Write the self-contained HTML report here");
  cmd->add_option("--title", o->title, "Report title");
  return {cmd, [o] { return run_compare_command(*o); }};
}

}  // namespace junction::cli
