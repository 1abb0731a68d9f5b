// Prometheus counters and histograms for /metrics, named as vLLM names them (vllm:...) so
// existing dashboards work. Updated by HTTP threads (timings are taken at the HTTP edge, the
// engine reads no clocks); engine gauges come from an EngineStats snapshot at scrape time.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/engine_loop.h"
#include "http/histogram.h"

namespace junction::server {

class Metrics {
 public:
  explicit Metrics(std::string model_name);

  void request_finished(const std::string& finish_reason, int64_t prompt_tokens,
                        int64_t generation_tokens, double e2e_seconds);
  void first_token(double ttft_seconds);
  void inter_token(double seconds);
  void request_rejected(int status);

  std::string render(const EngineStats& engine) const;

 private:
  mutable std::mutex mutex_;
  std::string labels_;  // model_name="..."
  uint64_t prompt_tokens_ = 0, generation_tokens_ = 0;
  std::map<std::string, uint64_t> finished_;  // finished_reason -> requests
  std::map<int, uint64_t> rejected_;          // HTTP status -> requests
  http::Histogram ttft_, itl_, e2e_;
};

}  // namespace junction::server
