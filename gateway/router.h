// Which deployments a request tries, in order. Pure: the caller snapshots each deployment's
// health (outstanding requests, EWMA latency and throughput, circuit state) into
// DeploymentView, and passes a seed for the random choices (weighted picks, tie breaks), so a
// plan is a function of its inputs and tests are exact.
//
// Models are tried in the order given (the requested model, then `models: [...]` from the
// request or the model's configured fallbacks); within a model the deployments are ordered by
// the strategy, after OpenRouter's `provider` preferences: `only` and `ignore` filter, `order`
// puts the named providers first (and, with allow_fallbacks false, drops the rest), `sort`
// replaces the strategy, `max_price` drops deployments priced above it. Deployments whose
// circuit is open are left out.
//
// Before planning, capable_deployments() keeps only the deployments whose model has every
// capability the request uses (tools, json_schema, images; capabilities.h), OpenRouter's
// `require_parameters` made the rule: a request with tools never reaches a model that would
// ignore them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/capabilities.h"
#include "gateway/price.h"

namespace junction::gateway {

struct DeploymentView {
  size_t id = 0;         // the caller's index for this deployment
  std::string model;     // public model name
  std::string provider;  // provider name
  double weight = 1;
  Price price;
  int64_t outstanding = 0;    // requests in flight now
  double latency_ms = -1;     // EWMA time to first token; < 0: no samples yet
  double tokens_per_s = -1;   // EWMA output tokens per second; < 0: no samples yet
  bool available = true;      // circuit breaker lets requests through
  Capabilities capabilities;  // of the deployment's upstream model; unknown: anything goes
};

struct ProviderPreferences {
  std::vector<std::string> order;
  std::vector<std::string> only;
  std::vector<std::string> ignore;
  bool allow_fallbacks = true;
  std::string sort;              // "", "price", "throughput", "latency"
  double max_prompt_price = -1;  // USD per 1e6 tokens; < 0: no limit
  double max_completion_price = -1;
};

// `per_model[i]`: the deployments of the i-th model to try. Returns DeploymentView::id values.
std::vector<size_t> plan_route(const std::vector<std::vector<DeploymentView>>& per_model,
                               const std::string& strategy, const ProviderPreferences& prefs,
                               uint64_t seed);

// Each model's deployments that can serve `needs`, in the same order (a model may come out
// empty).
std::vector<std::vector<DeploymentView>> capable_deployments(
    const std::vector<std::vector<DeploymentView>>& per_model, const RequestNeeds& needs);

// "" when some deployment of some model can serve `needs`; else the request field that no
// deployment supports (missing_capability's names), for a 400 naming it. With no deployments
// at all also "": that is not the request's fault.
std::string unservable_field(const std::vector<std::vector<DeploymentView>>& per_model,
                             const RequestNeeds& needs);

}  // namespace junction::gateway
