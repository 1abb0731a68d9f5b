// Everything a gateway request handler reads or updates, built once from the config: the
// store, the model catalogue with each deployment's live health, rate limits (in this process,
// or shared through Redis), metrics, the upstream client, and the clocks (injected so tests
// and benchmarks can control time).
// Passed by reference to the handlers; no globals.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/auth_failure_limiter.h"
#include "gateway/config.h"
#include "gateway/deployment_health.h"
#include "gateway/gateway_metrics.h"
#include "gateway/key_cache.h"
#include "gateway/quality_scores.h"
#include "gateway/rate_limiter.h"
#include "gateway/router.h"
#include "gateway/store.h"
#include "gateway/upstream_client.h"

namespace junction::gateway {

struct GatewayClock {
  std::function<int64_t()> monotonic_ms;  // for durations, breakers, rate limits
  std::function<int64_t()> unix_ms;       // for records and daily limits
  static GatewayClock system();
};

struct Deployment {
  size_t id = 0;
  const RoutedModel* model = nullptr;
  const ProviderConfig* provider = nullptr;
  std::string upstream_model;  // the name sent upstream
  double weight = 1;
  Price price;  // the deployment's own price (for routing by price); keys pay the model's
  Capabilities capabilities;  // of the upstream model (catalogue); unknown: not checked
  std::unique_ptr<DeploymentHealth> health;
};

class GatewayState {
 public:
  GatewayState(GatewayConfig config, std::unique_ptr<Store> store, GatewayClock clock);

  const GatewayConfig& config() const { return config_; }
  Store& store() { return *store_; }
  const GatewayClock& clock() const { return clock_; }
  RateLimits& limiter() { return *limiter_; }
  GatewayMetrics& metrics() { return metrics_; }
  UpstreamClient& upstream() { return upstream_; }
  // Key records read in the last second (see key_cache.h for what that trades).
  KeyCache& keys() { return keys_; }
  // Failed admin-key attempts per peer address (auth_failure_limiter.h).
  AuthFailureLimiter& auth_failures() { return auth_failures_; }
  std::vector<Deployment>& deployments() { return deployments_; }
  // This gateway's name in the reservations it takes (config.ledger.instance, else set by
  // Gateway once it knows its port); fixed before the first request.
  const std::string& instance() const { return instance_; }
  void set_instance(std::string name) { instance_ = std::move(name); }

  // Scores from routing.quality, read at start-up (quality_scores.h).
  const QualityScores& quality() const { return quality_; }

  // A model by public name or alias; nullptr if none.
  const RoutedModel* find_model(const std::string& name) const;
  // A named auto pool (config.h); nullptr if none.
  const AutoPool* find_pool(const std::string& name) const;
  // The router's view of a model's deployments now.
  std::vector<DeploymentView> views(const RoutedModel& model);
  // A fresh seed for one routing plan and its backoff jitter.
  uint64_t next_seed();

 private:
  GatewayConfig config_;
  std::unique_ptr<Store> store_;
  GatewayClock clock_;
  std::unique_ptr<RateLimits> limiter_;  // shared through Redis when config.redis is set
  GatewayMetrics metrics_;
  UpstreamClient upstream_;
  KeyCache keys_{1000};  // ms
  AuthFailureLimiter auth_failures_;
  std::vector<Deployment> deployments_;
  QualityScores quality_;
  std::atomic<uint64_t> seed_;
  std::string instance_;
};

}  // namespace junction::gateway
