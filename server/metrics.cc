#include "server/metrics.h"

namespace junction::server {

static std::string num(double v) {
  return http::prometheus_number(v);
}

Metrics::Metrics(std::string model_name)
    : labels_("model_name=\"" + model_name + "\""),
      // vLLM's buckets (seconds).
      ttft_({0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
             10.0}),
      itl_({0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5}),
      e2e_({0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0}) {
  for (char& c : labels_)
    if (c == '\n') c = ' ';
}

void Metrics::request_finished(const std::string& finish_reason, int64_t prompt_tokens,
                               int64_t generation_tokens, double e2e_seconds) {
  std::lock_guard lock(mutex_);
  ++finished_[finish_reason];
  prompt_tokens_ += prompt_tokens;
  generation_tokens_ += generation_tokens;
  e2e_.observe(e2e_seconds);
}

void Metrics::first_token(double s) {
  std::lock_guard lock(mutex_);
  ttft_.observe(s);
}

void Metrics::inter_token(double s) {
  std::lock_guard lock(mutex_);
  itl_.observe(s);
}

void Metrics::request_rejected(int status) {
  std::lock_guard lock(mutex_);
  ++rejected_[status];
}

std::string Metrics::render(const EngineStats& engine) const {
  std::lock_guard lock(mutex_);
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  const std::string l = labels_;
  metric("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.");
  out += "vllm:num_requests_running{" + l + "} " + std::to_string(engine.n_running) + "\n";
  metric("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.");
  out += "vllm:num_requests_waiting{" + l + "} " + std::to_string(engine.n_waiting) + "\n";
  metric("vllm:kv_cache_usage_perc", "gauge",
         "KV-cache usage. 1 means 100 percent usage (cached prefixes included).");
  out += "vllm:kv_cache_usage_perc{" + l + "} " +
         num(engine.n_total_blocks ? double(engine.n_used_blocks) / engine.n_total_blocks : 0) +
         "\n";
  metric("vllm:prefix_cache_queries_total", "counter",
         "Prompt tokens looked up in the prefix cache.");
  out += "vllm:prefix_cache_queries_total{" + l + "} " +
         std::to_string(engine.prefix_queried_tokens) + "\n";
  metric("vllm:prefix_cache_hits_total", "counter", "Prompt tokens found in the prefix cache.");
  out +=
      "vllm:prefix_cache_hits_total{" + l + "} " + std::to_string(engine.prefix_hit_tokens) + "\n";
  metric("vllm:num_preemptions_total", "counter",
         "Cumulative number of preemption from the engine.");
  out += "vllm:num_preemptions_total{" + l + "} " + std::to_string(engine.n_preemptions) + "\n";
  // vLLM's speculative-decoding counters (v1 names).
  metric("vllm:spec_decode_num_draft_tokens_total", "counter",
         "Number of draft tokens proposed and verified.");
  out += "vllm:spec_decode_num_draft_tokens_total{" + l + "} " +
         std::to_string(engine.spec_draft_tokens) + "\n";
  metric("vllm:spec_decode_num_accepted_tokens_total", "counter",
         "Number of draft tokens accepted by the target model.");
  out += "vllm:spec_decode_num_accepted_tokens_total{" + l + "} " +
         std::to_string(engine.spec_accepted_tokens) + "\n";
  metric("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.");
  out += "vllm:prompt_tokens_total{" + l + "} " + std::to_string(prompt_tokens_) + "\n";
  metric("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.");
  out += "vllm:generation_tokens_total{" + l + "} " + std::to_string(generation_tokens_) + "\n";
  metric("vllm:request_success_total", "counter", "Count of successfully processed requests.");
  for (const auto& [reason, n] : finished_)
    out += "vllm:request_success_total{" + l + ",finished_reason=\"" + reason + "\"} " +
           std::to_string(n) + "\n";
  metric("junction:requests_rejected_total", "counter", "Requests answered with an error status.");
  for (const auto& [status, n] : rejected_)
    out += "junction:requests_rejected_total{" + l + ",status=\"" + std::to_string(status) +
           "\"} " + std::to_string(n) + "\n";
  metric("vllm:time_to_first_token_seconds", "histogram",
         "http::Histogram of time to first token in seconds.");
  ttft_.render(out, "vllm:time_to_first_token_seconds", l);
  metric("vllm:inter_token_latency_seconds", "histogram",
         "http::Histogram of inter-token latency in seconds.");
  itl_.render(out, "vllm:inter_token_latency_seconds", l);
  metric("vllm:e2e_request_latency_seconds", "histogram",
         "http::Histogram of end to end request latency in seconds.");
  e2e_.render(out, "vllm:e2e_request_latency_seconds", l);
  return out;
}

}  // namespace junction::server
