#include "gateway/router.h"

#include <gtest/gtest.h>

#include <map>

namespace junction::gateway {
namespace {

DeploymentView dep(size_t id, std::string provider, double weight = 1, int64_t outstanding = 0,
                   double latency = -1, double tps = -1, Price price = {}) {
  DeploymentView d;
  d.id = id;
  d.model = "m";
  d.provider = std::move(provider);
  d.weight = weight;
  d.outstanding = outstanding;
  d.latency_ms = latency;
  d.tokens_per_s = tps;
  d.price = price;
  return d;
}

using Plan = std::vector<size_t>;

TEST(Router, LeastOutstanding) {
  const std::vector<std::vector<DeploymentView>> m = {
      {dep(0, "a", 1, 5), dep(1, "b", 1, 0), dep(2, "c", 1, 2)}};
  EXPECT_EQ(plan_route(m, "least_outstanding", {}, 1), (Plan{1, 2, 0}));
}

TEST(Router, LatencyPutsUnmeasuredFirst) {
  const std::vector<std::vector<DeploymentView>> m = {
      {dep(0, "a", 1, 0, 50), dep(1, "b", 1, 0, 10), dep(2, "c", 1, 0, -1)}};
  EXPECT_EQ(plan_route(m, "latency", {}, 7), (Plan{2, 1, 0}));
}

TEST(Router, ThroughputAndPrice) {
  const std::vector<std::vector<DeploymentView>> m = {{dep(0, "a", 1, 0, -1, 30, {1, 2}),
                                                       dep(1, "b", 1, 0, -1, 90, {3, 3}),
                                                       dep(2, "c", 1, 0, -1, 60, {0.5, 0.5})}};
  EXPECT_EQ(plan_route(m, "throughput", {}, 3), (Plan{1, 2, 0}));
  EXPECT_EQ(plan_route(m, "price", {}, 3), (Plan{2, 0, 1}));
  ProviderPreferences sort;
  sort.sort = "price";  // the request's sort replaces the configured strategy
  EXPECT_EQ(plan_route(m, "throughput", sort, 3), (Plan{2, 0, 1}));
}

TEST(Router, WeightedFollowsWeightsAndIsSeeded) {
  const std::vector<std::vector<DeploymentView>> m = {
      {dep(0, "a", 3), dep(1, "b", 1), dep(2, "z", 0)}};
  std::map<size_t, int> first;
  for (uint64_t seed = 0; seed < 4000; ++seed) {
    const Plan p = plan_route(m, "weighted", {}, seed);
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p.back(), 2u);  // weight 0: last resort
    ++first[p[0]];
    EXPECT_EQ(p, plan_route(m, "weighted", {}, seed));
  }
  EXPECT_NEAR(first[0] / 4000.0, 0.75, 0.03);
  EXPECT_NEAR(first[1] / 4000.0, 0.25, 0.03);
}

TEST(Router, OpenCircuitsAreLeftOut) {
  std::vector<std::vector<DeploymentView>> m = {{dep(0, "a"), dep(1, "b", 1, 3)}};
  m[0][0].available = false;
  EXPECT_EQ(plan_route(m, "least_outstanding", {}, 1), (Plan{1}));
}

TEST(Router, ProviderOrderOnlyIgnoreAllowFallbacks) {
  const std::vector<std::vector<DeploymentView>> m = {
      {dep(0, "a", 1, 0), dep(1, "b", 1, 1), dep(2, "c", 1, 2)}};
  ProviderPreferences p;
  p.order = {"c", "b"};
  EXPECT_EQ(plan_route(m, "least_outstanding", p, 1), (Plan{2, 1, 0}));
  p.allow_fallbacks = false;
  EXPECT_EQ(plan_route(m, "least_outstanding", p, 1), (Plan{2, 1}));
  ProviderPreferences only;
  only.only = {"a", "c"};
  EXPECT_EQ(plan_route(m, "least_outstanding", only, 1), (Plan{0, 2}));
  ProviderPreferences ignore;
  ignore.ignore = {"a"};
  EXPECT_EQ(plan_route(m, "least_outstanding", ignore, 1), (Plan{1, 2}));
}

TEST(Router, MaxPriceFilters) {
  const std::vector<std::vector<DeploymentView>> m = {
      {dep(0, "a", 1, 0, -1, -1, {1, 10}), dep(1, "b", 1, 1, -1, -1, {5, 1})}};
  ProviderPreferences p;
  p.max_prompt_price = 2;
  EXPECT_EQ(plan_route(m, "least_outstanding", p, 1), (Plan{0}));
  p.max_prompt_price = -1;
  p.max_completion_price = 2;
  EXPECT_EQ(plan_route(m, "least_outstanding", p, 1), (Plan{1}));
}

TEST(Router, ModelFallbacksComeAfterThePrimary) {
  std::vector<std::vector<DeploymentView>> m = {{dep(0, "a", 1, 9), dep(1, "b", 1, 0)},
                                                {dep(2, "a", 1, 0)}};
  EXPECT_EQ(plan_route(m, "least_outstanding", {}, 5), (Plan{1, 0, 2}));
}

}  // namespace
}  // namespace junction::gateway
