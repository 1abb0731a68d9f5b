// `junction eval`'s engine room: loads each task from --data, skips documents already in the
// samples file (resume), scores the rest concurrently through a ScoringBackend, appends one JSON
// line per document to the samples file as it finishes, and returns the result JSON (model,
// endpoint, settings, data file hashes, sample counts, metrics with stderr, wall time, tokens).
#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eval/data_files.h"
#include "eval/run_cost.h"
#include "eval/sandbox.h"
#include "eval/scoring_backend.h"

namespace junction::eval {

struct EvalOptions {
  std::string model;               // the name recorded (and sent as "model")
  std::vector<std::string> tasks;  // mmlu, hellaswag, arc_challenge, arc_easy, truthfulqa_mc2,
                                   // humaneval, mt_bench, aime24, amc23, gsm8k
  std::filesystem::path data_dir;
  std::optional<int64_t> limit;        // documents per task (per subject for MMLU)
  std::optional<int> num_fewshot;      // default: each task's published setting
  std::string mode = "loglikelihood";  // or "generative" (chat endpoints; HumanEval via chat)
  int concurrency = 4;                 // requests in flight
  std::filesystem::path samples_path;  // JSONL; empty: none, and no resume
  int humaneval_n = 1;                 // completions per problem (pass@k needs n >= k)
  double humaneval_temperature = 0;  // 0: greedy (pass@1 only); the Codex paper uses 0.8 for k > 1
  int64_t humaneval_max_tokens = 512;
  int64_t mt_bench_max_tokens = 1024;    // FastChat's max_new_token
  int64_t judge_max_tokens = 2048;       // FastChat's judge call
  int64_t generative_max_tokens = 8192;  // multiple choice in --mode generative: room to reason
  double generative_temperature = 0;     // greedy (simple-evals samples at 0.5)
  // The sampled math tasks (aime24, amc23, gsm8k), the DeepSeek-R1 card's protocol: k samples
  // per problem at temperature 0.6, top-p 0.95, up to 32768 generated tokens (the card: 64K).
  int samples_per_problem = 1;
  double math_temperature = 0.6;
  double math_top_p = 0.95;
  int64_t math_max_tokens = 32768;
  std::optional<TokenPrice> price;  // the endpoint's, when known: the estimate's cost
  std::optional<double> max_cost;   // USD: no request is sent that could pass it
  SandboxLimits sandbox;
  std::FILE* log = stderr;  // progress and notes; null: silent
  bool terminal = false;    // progress as a redrawn bar
};

// Tasks run in order; the first failure (after the probe, a request the backend cannot serve)
// throws junction::Error, leaving the samples written so far for a resumed run. `judge` scores
// MT-Bench (null: the model judges itself, recorded as such).
Json run_eval(ScoringBackend& model, ScoringBackend* judge, const EvalOptions& options);

// The task names run_eval knows.
const std::vector<std::string>& known_tasks();

}  // namespace junction::eval
