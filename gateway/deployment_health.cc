#include "gateway/deployment_health.h"

namespace junction::gateway {
namespace {

void blend(double& ewma, double sample) {
  if (sample < 0) return;
  ewma =
      ewma < 0 ? sample : DeploymentHealth::kAlpha * sample + (1 - DeploymentHealth::kAlpha) * ewma;
}

}  // namespace

bool DeploymentHealth::begin(int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (!breaker_.allow(now_ms)) return false;
  ++outstanding_;
  return true;
}

void DeploymentHealth::end_success(int64_t now_ms, double ttft_ms, double tokens_per_s) {
  std::lock_guard lock(mutex_);
  --outstanding_;
  ++n_success_;
  breaker_.on_success(now_ms);
  blend(latency_ms_, ttft_ms);
  blend(tokens_per_s_, tokens_per_s);
}

void DeploymentHealth::end_failure(int64_t now_ms) {
  std::lock_guard lock(mutex_);
  --outstanding_;
  ++n_failure_;
  breaker_.on_failure(now_ms);
}

HealthSnapshot DeploymentHealth::snapshot(int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  return {outstanding_,
          latency_ms_,
          tokens_per_s_,
          n_success_,
          n_failure_,
          breaker_.state(now_ms),
          breaker_.would_allow(now_ms)};
}

}  // namespace junction::gateway
