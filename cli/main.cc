// junction: one binary, one subcommand per job. Errors from any layer arrive here as
// junction::Error and leave with exit code 1 and the message on stderr.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"junction: run, serve and compare large language models"};
  app.require_subcommand(1);
  const std::vector<junction::cli::Command> commands = {
      junction::cli::add_run_command(app),     junction::cli::add_pull_command(app),
      junction::cli::add_serve_command(app),   junction::cli::add_quantize_command(app),
      junction::cli::add_info_command(app),    junction::cli::add_eval_command(app),
      junction::cli::add_bench_command(app),   junction::cli::add_bench_model_command(app),
      junction::cli::add_compare_command(app), junction::cli::add_admin_command(app),
      junction::cli::add_models_command(app),
  };
  CLI11_PARSE(app, argc, argv);
  try {
    for (const auto& command : commands)
      if (command.app->parsed()) return command.run();
  } catch (const junction::Error& e) {
    std::fprintf(stderr, "junction: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "junction: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
