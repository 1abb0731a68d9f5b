// The junction subcommands; each registers its options on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace junction::cli {

// A registered subcommand and what runs it once parsing succeeded.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_run_command(CLI::App& app);
Command add_serve_command(CLI::App& app);
Command add_pull_command(CLI::App& app);
Command add_quantize_command(CLI::App& app);
Command add_info_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_bench_model_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_admin_command(CLI::App& app);
Command add_models_command(CLI::App& app);

}  // namespace junction::cli
