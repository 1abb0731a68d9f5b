// `junction eval`: quality benchmarks against an OpenAI-compatible endpoint (or, with
// --model-path and no --endpoint, the engine in process), writing a result JSON and an optional
// samples JSONL that also makes an interrupted run resumable. The work is in eval/.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/output_file.h"
#include "core/error.h"
#include "eval/dataset_download.h"
#include "eval/local_engine_backend.h"
#include "eval/openai_completions_backend.h"
#include "eval/runner.h"
#include "session/model_text.h"
#include "session/open_model.h"

namespace junction::cli {
namespace {

struct EvalCliOptions {
  std::string endpoint, model, tasks, data, mode = "loglikelihood", api_key, out, samples;
  std::string model_path, isa, tokenizer, judge_endpoint, judge_model, judge_api_key, python;
  bool download = false;
  std::string download_mirror;
  int64_t limit = -1;
  int num_fewshot = -1;
  int concurrency = 4;
  int threads = 0;
  int humaneval_samples = 1;
  int64_t max_gen_tokens = -1;
  double humaneval_temperature = 0;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

bool needs_loglikelihood(const std::vector<std::string>& tasks, const std::string& mode) {
  if (mode != "loglikelihood") return false;
  for (const auto& t : tasks)
    if (t != "humaneval" && t != "mt_bench") return true;
  return false;
}

void print_summary(const eval::Json& result) {
  std::printf("%-16s %-14s %10s %10s %8s\n", "task", "metric", "value", "stderr", "n");
  for (const auto& [task, r] : result["tasks"].items())
    for (const auto& [name, m] : r["metrics"].items()) {
      if (!m.is_object() || !m.contains("value")) continue;
      std::printf("%-16s %-14s %10.4f %10.4f %8lld\n", task.c_str(), name.c_str(),
                  m["value"].get<double>(), m.value("stderr", 0.0),
                  static_cast<long long>(m.value("n", int64_t{0})));
    }
}

int run_eval_command(const EvalCliOptions& o) {
  eval::EvalOptions options;
  options.tasks = split_commas(o.tasks);
  if (options.tasks.empty()) throw Error("--task needs at least one task");
  if (o.download) {
    eval::DownloadOptions d;
    d.data_dir = o.data;
    d.tasks = options.tasks;
    d.mirror = !o.download_mirror.empty() ? o.download_mirror
               : std::getenv("JUNCTION_EVAL_DOWNLOAD_MIRROR")
                   ? std::getenv("JUNCTION_EVAL_DOWNLOAD_MIRROR")
                   : "";
    eval::download_datasets(d);
    if (o.endpoint.empty() && o.model_path.empty()) return 0;  // download only
  }
  if (o.out.empty()) throw Error("--out RESULT.json is required (unless only --download)");
  options.data_dir = o.data;
  if (o.limit >= 0) options.limit = o.limit;
  if (o.num_fewshot >= 0) options.num_fewshot = o.num_fewshot;
  options.mode = o.mode;
  options.concurrency = std::max(1, o.concurrency);
  options.samples_path = o.samples;
  options.humaneval_n = std::max(1, o.humaneval_samples);
  options.humaneval_temperature = o.humaneval_temperature;
  options.sandbox.python = o.python;
  if (o.max_gen_tokens > 0)
    for (int64_t* cap : {&options.generative_max_tokens, &options.humaneval_max_tokens,
                         &options.mt_bench_max_tokens, &options.judge_max_tokens})
      *cap = std::min(*cap, o.max_gen_tokens);
  options.terminal = isatty(fileno(stderr)) != 0;

  const std::string api_key =
      !o.api_key.empty() ? o.api_key
                         : (std::getenv("OPENAI_API_KEY") ? std::getenv("OPENAI_API_KEY") : "");
  std::unique_ptr<eval::ScoringBackend> model;
  if (o.endpoint.empty()) {
    if (o.model_path.empty())
      throw Error("give --endpoint URL (and --model NAME), or --model-path MODEL");
    model = std::make_unique<eval::LocalEngineBackend>(o.model_path, o.threads, o.isa);
    options.model =
        o.model.empty() ? std::filesystem::path(o.model_path).filename().string() : o.model;
    options.concurrency = 1;  // one engine in process: requests queue on its mutex anyway
  } else {
    if (o.model.empty())
      throw Error("--endpoint needs --model NAME (the \"model\" of each request)");
    // The tokenizer of a folder, GGUF file or pulled model, read as open_model reads it.
    const std::string tok_model = !o.tokenizer.empty() ? o.tokenizer : o.model_path;
    std::unique_ptr<tokenizer::Tokenizer> tok;
    if (!tok_model.empty()) {
      tok = session::load_model_text(session::resolve_model(tok_model)).tokenizer;
      if (!tok) throw Error(tok_model + " has no tokenizer (tokenizer.json or GGUF vocabulary)");
    }
    auto http = std::make_unique<eval::OpenAiCompletionsBackend>(
        eval::OpenAiEndpoint{o.endpoint, o.model, api_key}, std::move(tok));
    if (needs_loglikelihood(options.tasks, options.mode)) http->probe_loglikelihood();
    model = std::move(http);
    options.model = o.model;
  }
  std::unique_ptr<eval::ScoringBackend> judge;
  if (!o.judge_endpoint.empty()) {
    if (o.judge_model.empty()) throw Error("--judge-endpoint needs --judge-model NAME");
    judge = std::make_unique<eval::OpenAiCompletionsBackend>(
        eval::OpenAiEndpoint{o.judge_endpoint, o.judge_model,
                             o.judge_api_key.empty() ? api_key : o.judge_api_key},
        nullptr);
  }

  eval::Json result = eval::run_eval(*model, judge.get(), options);
  if (judge) result["judge_model"] = o.judge_model;
  write_file_atomically(
      o.out, result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  print_summary(result);
  std::fprintf(stderr, "eval: wrote %s (%.1f s)\n", o.out.c_str(),
               result["wall_time_s"].get<double>());
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Quality benchmarks (MMLU, HellaSwag, ARC, TruthfulQA mc2, HumanEval, MT-Bench) as "
      "lm-evaluation-harness / FastChat compute them, against an OpenAI-compatible endpoint");
  cmd->add_option("--endpoint", o->endpoint,
                  "Base URL of an OpenAI-compatible server (http://host:port[/v1])");
  cmd->add_option("--model", o->model, "Model name sent with each request and recorded");
  cmd->add_option("--task", o->tasks,
                  "Tasks, comma-separated: "
                  "mmlu,hellaswag,arc_challenge,arc_easy,truthfulqa_mc2,humaneval,mt_bench")
      ->required();
  cmd->add_option("--data", o->data, "Dataset folder laid out like shared/datasets/")->required();
  cmd->add_option("--limit", o->limit, "At most N documents per task (per subject for MMLU)");
  cmd->add_option("--num-fewshot", o->num_fewshot,
                  "Few-shot examples (default: each task's published setting)");
  cmd->add_option("--mode", o->mode,
                  "loglikelihood (base models, /v1/completions echo+logprobs) or generative (chat: "
                  "simple-evals zero-shot prompts, the answer letter after </think>)");
  cmd->add_option("--api-key", o->api_key, "Bearer token (default: $OPENAI_API_KEY)");
  cmd->add_option("--out", o->out, "Result JSON");
  cmd->add_option("--samples", o->samples, "Per-document JSONL; an existing file is resumed");
  cmd->add_option("--model-path", o->model_path,
                  "Hugging Face folder, GGUF file or pulled model: the engine in process when no "
                  "--endpoint; with one, its tokenizer");
  cmd->add_option("--isa", o->isa,
                  "With --model-path: force a kernel level, avx512, avx2 or scalar (default: "
                  "$JUNCTION_ISA, else the best this CPU runs)");
  cmd->add_option(
      "--tokenizer", o->tokenizer,
      "Folder with tokenizer.json, GGUF file or pulled model whose tokenizer to use (else the "
      "server's /tokenize)");
  cmd->add_option("--concurrency", o->concurrency, "Requests in flight (default 4)");
  cmd->add_option("--threads", o->threads, "Engine threads with --model-path (default: all cores)");
  cmd->add_option("--judge-endpoint", o->judge_endpoint,
                  "MT-Bench judge's endpoint (default: the model judges itself)");
  cmd->add_option("--judge-model", o->judge_model,
                  "MT-Bench judge model name (FastChat uses gpt-4)");
  cmd->add_option("--judge-api-key", o->judge_api_key, "Judge's bearer token (default: --api-key)");
  cmd->add_option("--humaneval-samples", o->humaneval_samples,
                  "Completions per HumanEval problem (pass@k needs >= k)");
  cmd->add_option("--humaneval-temperature", o->humaneval_temperature,
                  "Sampling temperature for HumanEval (Codex: 0.8 for pass@10/100)");
  cmd->add_option("--max-gen-tokens", o->max_gen_tokens,
                  "Cap on every generation's max_tokens (defaults: generative multiple choice "
                  "8192, HumanEval 512, MT-Bench 1024, judge 2048); recorded in the result");
  cmd->add_flag("--download", o->download,
                "First fetch the tasks' data from the original releases into --data (skipping "
                "files download.json says are there); without --endpoint/--model-path, only that");
  cmd->add_option("--download-mirror", o->download_mirror,
                  "Fetch https://HOST/PATH from MIRROR/HOST/PATH instead "
                  "(default: $JUNCTION_EVAL_DOWNLOAD_MIRROR)");
  cmd->add_option("--python", o->python,
                  "python3 for the HumanEval sandbox (must be runnable by an unprivileged uid)");
  return {cmd, [o] { return run_eval_command(*o); }};
}

}  // namespace junction::cli
