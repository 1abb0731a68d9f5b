// `junction pull MODEL`: download a catalogue alias (alias[:quant]) or hf://ORG/REPO[/FILE] into
// the model cache and print where it landed. `--list` shows the catalogue and what is cached.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "http/http_client.h"
#include "pull/catalog.h"
#include "pull/downloader.h"
#include "pull/model_cache.h"
#include "pull/progress.h"

namespace junction::cli {
namespace {

struct PullOptions {
  std::string model;
  std::string revision;
  bool list = false;
};

int list_catalog(const pull::PullSettings& settings) {
  std::printf("cache: %s\n", settings.cache_root.string().c_str());
  std::string quants;
  for (const auto& q : pull::catalog_quantizations()) quants += (quants.empty() ? "" : ", ") + q;
  std::printf("quantizations: %s (default %s)\n\n", quants.c_str(),
              std::string(pull::kDefaultQuantization).c_str());
  for (const auto& e : pull::catalog()) {
    const bool gguf = pull::is_cached(settings.cache_root, pull::parse_model_ref(e.alias));
    const bool folder = pull::is_cached(
        settings.cache_root,
        pull::parse_model_ref(e.alias + ":" + std::string(pull::kSafetensorsQuantization)));
    std::string missing;  // quantizations this entry's GGUF repository does not publish
    for (const auto& q : pull::catalog_quantizations())
      if (!pull::entry_offers(e, q)) missing += (missing.empty() ? "  [no " : ", ") + q;
    if (!missing.empty()) missing += "]";
    std::printf("%-26s %s/%s  |  %s%s%s%s\n", e.alias.c_str(), e.gguf_repo.str().c_str(),
                e.gguf_file_pattern.c_str(), e.safetensors_repo.str().c_str(), missing.c_str(),
                gguf ? "  [q4_k_m cached]" : "", folder ? "  [safetensors cached]" : "");
  }
  return 0;
}

int terminal_columns() {
  winsize ws{};
  return ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 100;
}

int pull_model(const PullOptions& o) {
  const pull::PullSettings settings = pull::pull_settings_from_process();
  if (o.list) return list_catalog(settings);
  if (o.model.empty())
    throw Error("give a model to pull: an alias (see --list) or hf://ORG/REPO[/FILE]");
  pull::ModelRef ref = pull::parse_model_ref(o.model);
  if (!o.revision.empty()) ref.revision = o.revision;
  if (pull::is_cached(settings.cache_root, ref)) {
    std::fprintf(stderr, "junction pull: %s is already in the cache\n", o.model.c_str());
    std::printf("%s\n", pull::cache_path(settings.cache_root, ref).string().c_str());
    return 0;
  }
  std::fprintf(stderr, "junction pull: %s from %s/%s into %s\n", o.model.c_str(),
               settings.endpoint.c_str(), ref.repo.str().c_str(),
               settings.cache_root.string().c_str());
  http::HttpClient http;
  pull::ProgressReporter progress(stderr, ::isatty(STDERR_FILENO) == 1, terminal_columns());
  pull::Downloader downloader(http, settings, progress);
  const auto path = downloader.pull(ref);
  std::printf("%s\n", path.string().c_str());
  return 0;
}

}  // namespace

Command add_pull_command(CLI::App& app) {
  auto o = std::make_shared<PullOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pull", "Download a model into the cache ($JUNCTION_CACHE, else ~/.cache/junction/models)");
  cmd->add_option("model", o->model,
                  "Catalogue alias[:quant] (e.g. qwen3-8b:q4_k_m, qwen3-8b:safetensors) or "
                  "hf://ORG/REPO[/FILE]");
  cmd->add_option("--revision", o->revision, "Branch, tag or commit (default: main)");
  cmd->add_flag("--list", o->list, "Show the catalogue and what is cached");
  return {cmd, [o] { return pull_model(*o); }};
}

}  // namespace junction::cli
