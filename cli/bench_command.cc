// `junction bench`: serving performance of an OpenAI-compatible endpoint as vLLM's
// benchmark_serving measures it (TTFT, TPOT, ITL, E2E latency; request and token throughput)
// over a sweep of concurrency levels or Poisson request rates, with the server's memory. Writes
// a result JSON that `junction compare` reads. The work is in compare/.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/commands.h"
#include "cli/output_file.h"
#include "compare/arrival_schedule.h"
#include "compare/bench_runner.h"
#include "core/error.h"

namespace junction::cli {
namespace {

struct BenchCliOptions {
  std::string endpoint, model, api = "completions", api_key, concurrency, request_rate, data, out;
  int64_t max_concurrency = 0, num_prompts = 100, warmup = 1, input_len = 128, output_len = 128;
  int64_t pid = 0;
  uint64_t seed = 0;
  bool ignore_eos = true;
  double timeout_s = 600;
};

void print_table(const compare::Json& result) {
  std::printf("%-16s %6s %9s %10s %10s %10s %10s %10s %10s\n", "level", "ok", "req/s", "out tok/s",
              "TTFT p50", "TTFT p99", "TPOT p50", "ITL p50", "E2E p50");
  for (const auto& l : result["levels"]) {
    std::string label = l["concurrency"].is_null()
                            ? "rate=" + (l["request_rate"].is_string()
                                             ? l["request_rate"].get<std::string>()
                                             : std::to_string(l["request_rate"].get<double>()))
                            : "c=" + std::to_string(l["concurrency"].get<int64_t>());
    std::printf("%-16s %6lld %9.2f %10.1f %8.1fms %8.1fms %8.2fms %8.2fms %8.0fms\n", label.c_str(),
                static_cast<long long>(l["completed"].get<int64_t>()),
                l["request_throughput"].get<double>(), l["output_throughput"].get<double>(),
                l["ttft_ms"]["p50"].get<double>(), l["ttft_ms"]["p99"].get<double>(),
                l["tpot_ms"]["p50"].get<double>(), l["itl_ms"]["p50"].get<double>(),
                l["e2el_ms"]["p50"].get<double>());
  }
}

int run_bench_command(const BenchCliOptions& o) {
  compare::BenchOptions options;
  options.endpoint.base_url = compare::strip_base_url(o.endpoint);
  options.endpoint.model = o.model;
  if (o.api != "completions" && o.api != "chat")
    throw Error("--api is completions or chat, not " + o.api);
  options.endpoint.api = o.api;
  options.endpoint.api_key =
      !o.api_key.empty() ? o.api_key
                         : (std::getenv("OPENAI_API_KEY") ? std::getenv("OPENAI_API_KEY") : "");
  options.endpoint.ignore_eos = o.ignore_eos;
  if (!o.request_rate.empty()) {
    options.request_rates = compare::parse_sweep(o.request_rate, true, "--request-rate");
  } else {
    for (const double c : compare::parse_sweep(o.concurrency.empty() ? "1" : o.concurrency, false,
                                               "--concurrency")) {
      if (c != std::floor(c)) throw Error("--concurrency takes whole numbers");
      options.concurrency.push_back(static_cast<int64_t>(c));
    }
  }
  options.max_concurrency = o.max_concurrency;
  options.num_prompts = o.num_prompts;
  options.warmup = o.warmup;
  options.input_len = o.input_len;
  options.output_len = o.output_len;
  options.dataset = o.data;
  options.seed = o.seed;
  if (o.pid > 0) options.pid = o.pid;
  options.timeout_s = o.timeout_s;
  options.terminal = isatty(fileno(stderr)) != 0;

  const compare::Json result = compare::run_bench(options);
  if (!o.out.empty()) {
    write_file_atomically(
        o.out, result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  print_table(result);
  if (!o.out.empty()) std::fprintf(stderr, "bench: wrote %s\n", o.out.c_str());
  int64_t failed = 0;
  for (const auto& l : result["levels"]) failed += l["failed"].get<int64_t>();
  return failed > 0 ? 1 : 0;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Serving benchmark against an OpenAI-compatible endpoint (TTFT, TPOT, ITL, E2E latency, "
      "throughput) over a sweep of concurrency levels or request rates, as vLLM's "
      "benchmark_serving");
  cmd->add_option("--endpoint", o->endpoint, "Base URL (http://host:port[/v1])")->required();
  cmd->add_option("--model", o->model, "Model name sent with each request and recorded")
      ->required();
  cmd->add_option("--api", o->api, "completions (default) or chat");
  cmd->add_option("--api-key", o->api_key, "Bearer token (default: $OPENAI_API_KEY)");
  cmd->add_option("--concurrency", o->concurrency,
                  "Concurrency levels, comma-separated (default 1): all requests sent at once, "
                  "at most N in flight");
  cmd->add_option("--request-rate", o->request_rate,
                  "Request rates per second instead, comma-separated (Poisson arrivals; inf)");
  cmd->add_option("--max-concurrency", o->max_concurrency,
                  "With --request-rate: requests in flight at most (default: unbounded)");
  cmd->add_option("--num-prompts", o->num_prompts, "Measured requests per level (default 100)");
  cmd->add_option("--warmup", o->warmup, "Unmeasured requests before each level (default 1)");
  cmd->add_option("--input-len", o->input_len,
                  "Synthetic prompt length in words, about as many tokens (default 128)");
  cmd->add_option("--output-len", o->output_len, "max_tokens of each request (default 128)");
  cmd->add_flag("--ignore-eos,!--no-ignore-eos", o->ignore_eos,
                "Send ignore_eos so outputs have --output-len tokens (default on; "
                "--no-ignore-eos for providers that refuse the field)");
  cmd->add_option("--data", o->data,
                  "MT-Bench questions (a folder with mt_bench/question.jsonl) instead of "
                  "synthetic prompts");
  cmd->add_option("--seed", o->seed, "Seed of prompts and arrivals (default 0)");
  cmd->add_option("--pid", o->pid, "The server's process id: its RSS is recorded (/proc)");
  cmd->add_option("--timeout", o->timeout_s, "Seconds a read may stall (default 600)");
  cmd->add_option("--out", o->out, "Result JSON");
  return {cmd, [o] { return run_bench_command(*o); }};
}

}  // namespace junction::cli
