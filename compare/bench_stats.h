// The arithmetic of a serving benchmark, as vLLM's benchmarks/benchmark_serving.py does it, kept
// free of I/O so it can be checked by hand: percentiles (numpy's default linear interpolation),
// per-request TTFT / TPOT / inter-token latencies from token arrival times, and one sweep
// level's summary (request and token throughput over the level's wall time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace junction::compare {

// The p-th percentile (0..100) of `values` as numpy.percentile computes it by default: sort,
// then interpolate linearly between the two ranks around (n - 1) * p / 100. Empty: nullopt.
std::optional<double> percentile(std::vector<double> values, double p);

// mean, population std (numpy's default), p50/p90/p99, min, max; all zero when `values` is empty
// (n says so).
struct Distribution {
  int64_t n = 0;
  double mean = 0, std = 0, p50 = 0, p90 = 0, p99 = 0, min = 0, max = 0;
};
Distribution describe(const std::vector<double>& values);

// What one streamed request saw. Times are seconds since the request was sent.
struct RequestRecord {
  bool ok = false;
  std::string error;               // when !ok
  double e2e_s = 0;                // until the last byte of the answer // s
  std::vector<double> token_at_s;  // arrival of each chunk that carried text // s
  int64_t prompt_tokens = 0;       // from usage; 0 when the server did not say
  int64_t output_tokens = 0;       // from usage, else the number of text chunks
  double sent_at_s = 0;            // since the level started // s
};

// Time to first token; nullopt when no text arrived.
std::optional<double> ttft_s(const RequestRecord& r);
// Time per output token after the first: (e2e - ttft) / (output_tokens - 1); nullopt for
// fewer than two output tokens (vLLM leaves those out of TPOT).
std::optional<double> tpot_s(const RequestRecord& r);
// The gaps between consecutive text chunks (vLLM's itl: one entry per chunk after the first).
std::vector<double> inter_token_s(const RequestRecord& r);

// One sweep level's numbers. Latencies in ms, throughputs per second of `duration_s`.
struct LevelSummary {
  int64_t completed = 0, failed = 0;
  double duration_s = 0;  // first send to last answer, warm-up excluded // s
  int64_t total_input_tokens = 0, total_output_tokens = 0;
  double request_throughput = 0;      // requests/s
  double output_throughput = 0;       // output tokens/s
  double total_token_throughput = 0;  // (input + output) tokens/s
  Distribution ttft_ms, tpot_ms, itl_ms, e2el_ms;
  std::vector<std::string> errors;  // the first few distinct failure messages
};
LevelSummary summarize_level(const std::vector<RequestRecord>& records, double duration_s);

}  // namespace junction::compare
