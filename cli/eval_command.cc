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
#include "eval/endpoint_pool.h"
#include "eval/local_engine_backend.h"
#include "eval/openai_completions_backend.h"
#include "eval/runner.h"
#include "eval/tasks/math_problems.h"
#include "session/model_text.h"
#include "session/open_model.h"

namespace junction::cli {
namespace {

struct EvalCliOptions {
  std::string endpoint, model, tasks, data, mode = "loglikelihood", api_key, out, samples;
  bool unsafe_sandbox = false;
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
  int samples_per_problem = 1;
  double temperature = 0.6, top_p = 0.95;
  double max_cost = -1, price_input = -1, price_output = -1;  // USD; per million tokens
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
    if (t != "humaneval" && t != "mt_bench" && !eval::is_math_task(t)) return true;
  return false;
}

bool has_math_task(const std::vector<std::string>& tasks) {
  return std::any_of(tasks.begin(), tasks.end(), eval::is_math_task);
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
  for (const auto& [task, r] : result["tasks"].items()) {
    if (!r.contains("reasoning")) continue;
    const auto& l = r["reasoning"]["tokens_per_sample"];
    const bool counted = r["reasoning"].value("tokens_source", "") == "usage";
    std::printf(
        "%-16s reasoning tokens per sample%s: mean %.0f, p10 %.0f, p50 %.0f, p90 %.0f, max %.0f; "
        "%.1f%% cut off at %lld tokens (k=%lld, T=%g, top-p %g)",
        task.c_str(), counted ? "" : " (estimated from characters)", l["mean"].get<double>(),
        l["p10"].get<double>(), l["p50"].get<double>(), l["p90"].get<double>(),
        l["max"].get<double>(), 100 * r["reasoning"]["cut_off_share"].get<double>(),
        static_cast<long long>(r["max_tokens"].get<int64_t>()),
        static_cast<long long>(r["samples_per_problem"].get<int64_t>()),
        r["temperature"].get<double>(), r["top_p"].get<double>());
    if (r.contains("cost_usd") && r["cost_usd"].is_number())
      std::printf("; cost $%.4f", r["cost_usd"].get<double>());
    std::printf("\n");
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
  options.sandbox.allow_unisolated = o.unsafe_sandbox;
  options.samples_per_problem = std::max(1, o.samples_per_problem);
  if (o.temperature < 0 || !(o.top_p > 0 && o.top_p <= 1))
    throw Error("--temperature must be >= 0 and --top-p in (0, 1]");
  options.math_temperature = o.temperature;
  options.math_top_p = o.top_p;
  // The math tasks take --max-gen-tokens as their budget (the R1 card: 65536); the others as a cap.
  if (o.max_gen_tokens > 0) options.math_max_tokens = o.max_gen_tokens;
  if (o.max_cost >= 0) options.max_cost = o.max_cost;
  if ((o.price_input >= 0) != (o.price_output >= 0))
    throw Error("give both --price-input and --price-output (USD per million tokens)");
  if (o.price_input >= 0) options.price = eval::TokenPrice{o.price_input, o.price_output};
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
    model = std::make_unique<eval::LocalEngineBackend>(o.model_path, o.threads, o.isa,
                                                       options.concurrency);
    options.model =
        o.model.empty() ? std::filesystem::path(o.model_path).filename().string() : o.model;
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
    // Several endpoints (comma-separated): generations spread over them; scoring uses the first.
    std::vector<std::unique_ptr<eval::ScoringBackend>> endpoints;
    for (const std::string& url : split_commas(o.endpoint)) {
      auto http = std::make_unique<eval::OpenAiCompletionsBackend>(
          eval::OpenAiEndpoint{url, o.model, api_key},
          endpoints.empty() ? std::move(tok) : nullptr);
      if (endpoints.empty() && needs_loglikelihood(options.tasks, options.mode))
        http->probe_loglikelihood();
      // A gateway lists its prices: the estimate's cost, and what --max-cost counts. With
      // several endpoints, the dearest.
      if (o.price_input < 0 && has_math_task(options.tasks))
        if (const auto listing = http->list_models())
          if (const auto p = eval::price_from_models_listing(*listing, o.model)) {
            eval::TokenPrice worst = options.price.value_or(*p);
            worst.input_per_mtok = std::max(worst.input_per_mtok, p->input_per_mtok);
            worst.output_per_mtok = std::max(worst.output_per_mtok, p->output_per_mtok);
            options.price = worst;
          }
      endpoints.push_back(std::move(http));
    }
    if (endpoints.empty()) throw Error("--endpoint needs a URL");
    if (endpoints.size() == 1)
      model = std::move(endpoints.front());
    else
      model = std::make_unique<eval::EndpointPool>(std::move(endpoints));
    options.model = o.model;
  }
  if (options.max_cost && !options.price)
    throw Error(
        "--max-cost needs the endpoint's prices: a gateway lists them at GET /v1/models; "
        "elsewhere give --price-input and --price-output (USD per million tokens)");
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
      "lm-evaluation-harness / FastChat compute them, and sampled math reasoning (AIME 2024, AMC "
      "2023, GSM8K) as reasoning-model cards report it, against an OpenAI-compatible endpoint");
  cmd->add_option("--endpoint", o->endpoint,
                  "Base URL of an OpenAI-compatible server (http://host:port[/v1]); several, "
                  "comma-separated, share the generations (fewest in flight first)");
  cmd->add_option("--model", o->model, "Model name sent with each request and recorded");
  cmd->add_option("--task", o->tasks,
                  "Tasks, comma-separated: "
                  "mmlu,hellaswag,arc_challenge,arc_easy,truthfulqa_mc2,humaneval,mt_bench,"
                  "aime24,amc23,gsm8k")
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
  cmd->add_option(
      "--concurrency", o->concurrency,
      "Requests in flight (default 4); with --model-path, the generations batched together");
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
                  "Math tasks: each sample's max_tokens (default 32768; the R1 card uses 65536). "
                  "Others: a cap on their max_tokens (defaults: generative multiple choice 8192, "
                  "HumanEval 512, MT-Bench 1024, judge 2048). Recorded in the result");
  cmd->add_option("--samples-per-problem", o->samples_per_problem,
                  "Math tasks: samples per problem k, for pass@1 (mean over k), cons@k and "
                  "pass@k (the R1 card: 16)");
  cmd->add_option("--temperature", o->temperature,
                  "Math tasks: sampling temperature (default 0.6, the R1 card's)");
  cmd->add_option("--top-p", o->top_p, "Math tasks: nucleus sampling top-p (default 0.95)");
  cmd->add_option("--max-cost", o->max_cost,
                  "USD: no request is sent that could take the run past it (needs prices: a "
                  "gateway's /v1/models, or --price-input/--price-output)");
  cmd->add_option("--price-input", o->price_input, "USD per million prompt tokens (cost estimate)");
  cmd->add_option("--price-output", o->price_output,
                  "USD per million completion tokens (cost estimate)");
  cmd->add_flag("--download", o->download,
                "First fetch the tasks' data from the original releases into --data (skipping "
                "files download.json says are there); without --endpoint/--model-path, only that");
  cmd->add_option("--download-mirror", o->download_mirror,
                  "Fetch https://HOST/PATH from MIRROR/HOST/PATH instead "
                  "(default: $JUNCTION_EVAL_DOWNLOAD_MIRROR)");
  cmd->add_option("--python", o->python,
                  "python3 for the HumanEval sandbox (must be runnable by an unprivileged uid)");
  cmd->add_flag("--unsafe-sandbox", o->unsafe_sandbox,
                "run HumanEval's model-written code even where it cannot be isolated (not root, "
                "or no network namespace): as your user, able to read your files");
  return {cmd, [o] { return run_eval_command(*o); }};
}

}  // namespace junction::cli
