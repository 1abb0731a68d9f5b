// The gateway's Prometheus metrics: requests by model and HTTP status, upstream attempts by
// provider and outcome, tokens and cost charged, and the latency the gateway itself adds
// (everything but the wait for the upstream). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "http/histogram.h"

namespace junction::gateway {

class GatewayMetrics {
 public:
  GatewayMetrics();
  void request_done(const std::string& model, int status, int64_t prompt_tokens,
                    int64_t completion_tokens, int64_t cost_nano, double added_seconds);
  void attempt(const std::string& provider, const std::string& outcome);
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;          // (model, status)
  std::map<std::pair<std::string, std::string>, uint64_t> attempts_;  // (provider, outcome)
  uint64_t prompt_tokens_ = 0, completion_tokens_ = 0;
  int64_t cost_nano_ = 0;
  http::Histogram added_latency_;  // seconds
};

}  // namespace junction::gateway
