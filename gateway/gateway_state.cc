#include "gateway/gateway_state.h"

#include <chrono>

#include "core/error.h"
#include "gateway/key_hash.h"
#include "gateway/redis_rate_limiter.h"

namespace junction::gateway {

GatewayClock GatewayClock::system() {
  return {[] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
          },
          [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
          }};
}

GatewayState::GatewayState(GatewayConfig config, std::unique_ptr<Store> store, GatewayClock clock)
    : config_(std::move(config)),
      store_(std::move(store)),
      clock_(std::move(clock)),
      quality_(load_quality_scores(config_.routing.quality)),
      seed_(std::stoull(random_hex(8), nullptr, 16)),
      instance_(config_.ledger.instance) {
  if (config_.redis.empty())
    limiter_ = std::make_unique<RateLimiter>();
  else
    limiter_ = std::make_unique<RedisRateLimiter>(parse_redis_url(config_.redis));
  for (const RoutedModel& m : config_.models)
    for (const DeploymentConfig& d : m.deployments) {
      Deployment dep;
      dep.id = deployments_.size();
      dep.model = &m;
      for (const ProviderConfig& p : config_.providers)
        if (p.name == d.provider) dep.provider = &p;
      dep.upstream_model = d.model.empty() ? m.name : d.model;
      dep.weight = d.weight;
      dep.price = d.has_price ? d.price : m.price;
      dep.capabilities = d.capabilities;
      dep.health = std::make_unique<DeploymentHealth>(config_.routing.breaker);
      deployments_.push_back(std::move(dep));
    }
  for (const std::string& name : config_.routing.auto_routing.candidates)
    if (!find_model(name))
      throw Error("routing.auto: candidate '" + name + "' is not a configured model");
  // Checked here, not in config.cc: catalogue models join the config after it is read.
  for (const AutoPool& p : config_.pools) {
    if (find_model(p.name)) throw Error("the auto pool '" + p.name + "' has the name of a model");
    for (const std::string& name : p.choice.candidates)
      if (!find_model(name))
        throw Error("the auto pool '" + p.name + "': candidate '" + name +
                    "' is not a configured model");
  }
}

const AutoPool* GatewayState::find_pool(const std::string& name) const {
  for (const AutoPool& p : config_.pools)
    if (p.name == name) return &p;
  return nullptr;
}

const RoutedModel* GatewayState::find_model(const std::string& name) const {
  for (const RoutedModel& m : config_.models) {
    if (m.name == name) return &m;
    for (const auto& a : m.aliases)
      if (a == name) return &m;
  }
  return nullptr;
}

std::vector<DeploymentView> GatewayState::views(const RoutedModel& model) {
  const int64_t now = clock_.monotonic_ms();
  std::vector<DeploymentView> out;
  for (const Deployment& d : deployments_) {
    if (d.model != &model) continue;
    const HealthSnapshot h = d.health->snapshot(now);
    out.push_back({d.id, model.name, d.provider->name, d.weight, d.price, h.outstanding,
                   h.latency_ms, h.tokens_per_s, h.available, d.capabilities});
  }
  return out;
}

uint64_t GatewayState::next_seed() {
  return seed_.fetch_add(0x9E3779B97F4A7C15ull);
}

}  // namespace junction::gateway
