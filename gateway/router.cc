#include "gateway/router.h"

#include <algorithm>
#include <random>

namespace junction::gateway {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// Unknown figures sort first so new deployments get measured.
double latency_key(const DeploymentView& d) {
  return d.latency_ms < 0 ? -1 : d.latency_ms;
}
double throughput_key(const DeploymentView& d) {
  return d.tokens_per_s < 0 ? -1 : -d.tokens_per_s;
}
double price_key(const DeploymentView& d) {
  return d.price.input_per_mtok + d.price.output_per_mtok;
}

void order_by_strategy(std::vector<DeploymentView>& ds, const std::string& strategy,
                       std::mt19937_64& rng) {
  // A seeded shuffle first: stable sorts then break ties at random, spreading equal load.
  std::shuffle(ds.begin(), ds.end(), rng);
  auto by = [&](auto key) {
    std::stable_sort(ds.begin(), ds.end(), [&](const DeploymentView& a, const DeploymentView& b) {
      return key(a) < key(b);
    });
  };
  if (strategy == "least_outstanding") {
    by([](const DeploymentView& d) { return static_cast<double>(d.outstanding); });
  } else if (strategy == "latency") {
    by(latency_key);
  } else if (strategy == "throughput") {
    by(throughput_key);
  } else if (strategy == "price") {
    by(price_key);
  } else {  // weighted: sampling without replacement, each pick proportional to its weight
    std::vector<DeploymentView> out;
    while (!ds.empty()) {
      double total = 0;
      for (const auto& d : ds) total += std::max(0.0, d.weight);
      size_t pick = 0;
      if (total > 0) {
        double u = std::uniform_real_distribution<double>(0, total)(rng);
        for (pick = 0; pick + 1 < ds.size(); ++pick) {
          u -= std::max(0.0, ds[pick].weight);
          if (u < 0) break;
        }
      }
      out.push_back(ds[pick]);
      ds.erase(ds.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    ds = std::move(out);
  }
}

}  // namespace

std::vector<size_t> plan_route(const std::vector<std::vector<DeploymentView>>& per_model,
                               const std::string& strategy, const ProviderPreferences& prefs,
                               uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::string effective = prefs.sort.empty() ? strategy : prefs.sort;
  std::vector<size_t> plan;
  for (const auto& deployments : per_model) {
    std::vector<DeploymentView> ds;
    for (const auto& d : deployments) {
      if (!d.available) continue;
      if (!prefs.only.empty() && !contains(prefs.only, d.provider)) continue;
      if (contains(prefs.ignore, d.provider)) continue;
      if (prefs.max_prompt_price >= 0 && d.price.input_per_mtok > prefs.max_prompt_price) continue;
      if (prefs.max_completion_price >= 0 && d.price.output_per_mtok > prefs.max_completion_price)
        continue;
      ds.push_back(d);
    }
    order_by_strategy(ds, effective, rng);
    if (!prefs.order.empty()) {
      std::vector<DeploymentView> first, rest;
      for (const auto& name : prefs.order)
        for (const auto& d : ds)
          if (d.provider == name) first.push_back(d);
      for (const auto& d : ds)
        if (!contains(prefs.order, d.provider)) rest.push_back(d);
      ds = std::move(first);
      if (prefs.allow_fallbacks) ds.insert(ds.end(), rest.begin(), rest.end());
    }
    for (const auto& d : ds)
      if (std::find(plan.begin(), plan.end(), d.id) == plan.end()) plan.push_back(d.id);
  }
  return plan;
}

std::vector<std::vector<DeploymentView>> capable_deployments(
    const std::vector<std::vector<DeploymentView>>& per_model, const RequestNeeds& needs) {
  std::vector<std::vector<DeploymentView>> out(per_model.size());
  for (size_t i = 0; i < per_model.size(); ++i)
    for (const DeploymentView& d : per_model[i])
      if (missing_capability(d.capabilities, needs).empty()) out[i].push_back(d);
  return out;
}

std::string unservable_field(const std::vector<std::vector<DeploymentView>>& per_model,
                             const RequestNeeds& needs) {
  std::string first;
  for (const auto& model : per_model)
    for (const DeploymentView& d : model) {
      const std::string missing = missing_capability(d.capabilities, needs);
      if (missing.empty()) return "";
      if (first.empty()) first = missing;
    }
  return first;
}

}  // namespace junction::gateway
