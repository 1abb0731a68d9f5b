// `junction bench`'s engine room: a sweep over concurrency levels (every request sent at once,
// at most N in flight) or request rates (seeded Poisson arrivals, at most max_concurrency in
// flight), each level preceded by warm-up requests that are not counted, each measured by
// bench_stats; the memory the server reports (/metrics, /v1/models) and, with a pid, the
// process's RSS. Returns the result JSON (format "junction_bench_format": 1).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compare/bench_client.h"
#include "compare/bench_stats.h"

namespace junction::compare {

using Json = nlohmann::ordered_json;

struct BenchOptions {
  BenchEndpoint endpoint;
  std::vector<int64_t> concurrency;   // one level each; ignored when request_rates is set
  std::vector<double> request_rates;  // requests/s (inf: all at once); empty: concurrency sweep
  int64_t max_concurrency = 0;        // with request rates: in flight at most (0: num_prompts)
  int64_t num_prompts = 100;          // measured requests per level
  int64_t warmup = 1;                 // requests before each level, not measured
  int64_t input_len = 128;            // words of a synthetic prompt (about as many tokens)
  int64_t output_len = 128;           // max_tokens
  std::filesystem::path dataset;      // MT-Bench questions instead of synthetic prompts
  uint64_t seed = 0;                  // prompts and arrivals
  std::optional<int64_t> pid;         // the server's process, for RSS
  double timeout_s = 600;             // per read
  std::FILE* log = stderr;            // progress; null: silent
  bool terminal = false;              // progress as a redrawn bar
};

Json run_bench(const BenchOptions& options);

// A level's summary as the result file holds it.
Json level_json(const LevelSummary& s);
Json distribution_json(const Distribution& d);

}  // namespace junction::compare
