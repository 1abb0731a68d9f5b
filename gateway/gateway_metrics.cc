#include "gateway/gateway_metrics.h"

namespace junction::gateway {

GatewayMetrics::GatewayMetrics()
    : added_latency_({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1}) {}

void GatewayMetrics::request_done(const std::string& model, int status, int64_t prompt_tokens,
                                  int64_t completion_tokens, int64_t cost_nano,
                                  double added_seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{model, status}];
  prompt_tokens_ += static_cast<uint64_t>(prompt_tokens);
  completion_tokens_ += static_cast<uint64_t>(completion_tokens);
  cost_nano_ += cost_nano;
  if (added_seconds >= 0) added_latency_.observe(added_seconds);
}

void GatewayMetrics::attempt(const std::string& provider, const std::string& outcome) {
  std::lock_guard lock(mutex_);
  ++attempts_[{provider, outcome}];
}

std::string GatewayMetrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  metric("junction_gateway_requests_total", "counter", "Requests answered, by model and status.");
  for (const auto& [k, n] : requests_)
    out += "junction_gateway_requests_total{model=\"" + k.first + "\",status=\"" +
           std::to_string(k.second) + "\"} " + std::to_string(n) + "\n";
  metric("junction_gateway_upstream_attempts_total", "counter",
         "Upstream attempts, by provider and outcome.");
  for (const auto& [k, n] : attempts_)
    out += "junction_gateway_upstream_attempts_total{provider=\"" + k.first + "\",outcome=\"" +
           k.second + "\"} " + std::to_string(n) + "\n";
  metric("junction_gateway_prompt_tokens_total", "counter", "Prompt tokens charged.");
  out += "junction_gateway_prompt_tokens_total " + std::to_string(prompt_tokens_) + "\n";
  metric("junction_gateway_completion_tokens_total", "counter", "Completion tokens charged.");
  out += "junction_gateway_completion_tokens_total " + std::to_string(completion_tokens_) + "\n";
  metric("junction_gateway_cost_usd_total", "counter", "USD charged to keys.");
  out += "junction_gateway_cost_usd_total " +
         http::prometheus_number(static_cast<double>(cost_nano_) / 1e9) + "\n";
  metric("junction_gateway_added_latency_seconds", "histogram",
         "Time the gateway itself adds to a request (not waiting for the upstream).");
  added_latency_.render(out, "junction_gateway_added_latency_seconds", "component=\"gateway\"");
  return out;
}

}  // namespace junction::gateway
