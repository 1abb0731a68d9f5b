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

namespace junction::gateway {
namespace {

// Capability-aware routing (router.h): hand-written deployments, the expected survivors listed.
DeploymentView capable(size_t id, bool tools, bool json_schema, bool vision) {
  DeploymentView d = dep(id, "p" + std::to_string(id));
  d.capabilities = {true, tools, json_schema, false, vision};
  return d;
}

std::vector<size_t> ids(const std::vector<DeploymentView>& v) {
  std::vector<size_t> out;
  for (const auto& d : v) out.push_back(d.id);
  return out;
}

TEST(CapabilityRouting, KeepsOnlyDeploymentsWithEveryNeededCapability) {
  DeploymentView unknown = dep(9, "hand-written");  // capabilities unknown: never filtered
  const std::vector<std::vector<DeploymentView>> m = {
      {capable(0, true, false, false), capable(1, false, true, true), unknown},
      {capable(2, true, true, true)}};
  RequestNeeds tools;
  tools.tools = true;
  auto out = capable_deployments(m, tools);
  EXPECT_EQ(ids(out[0]), (std::vector<size_t>{0, 9}));
  EXPECT_EQ(ids(out[1]), (std::vector<size_t>{2}));
  RequestNeeds schema_and_image;
  schema_and_image.json_schema = schema_and_image.vision = true;
  out = capable_deployments(m, schema_and_image);
  EXPECT_EQ(ids(out[0]), (std::vector<size_t>{1, 9}));
  RequestNeeds all;
  all.tools = all.json_schema = all.vision = true;
  out = capable_deployments(m, all);
  EXPECT_EQ(ids(out[0]), (std::vector<size_t>{9}));
  EXPECT_EQ(ids(out[1]), (std::vector<size_t>{2}));
  // Nothing needed: everything stays, in order.
  out = capable_deployments(m, RequestNeeds{});
  EXPECT_EQ(ids(out[0]), (std::vector<size_t>{0, 1, 9}));
}

TEST(CapabilityRouting, UnservableNamesTheFieldNoDeploymentSupports) {
  const std::vector<std::vector<DeploymentView>> no_tools = {{capable(0, false, true, true)},
                                                             {capable(1, false, false, false)}};
  RequestNeeds tools;
  tools.tools = true;
  EXPECT_EQ(unservable_field(no_tools, tools), "tools");
  // A fallback model that can serve it makes the request servable.
  const std::vector<std::vector<DeploymentView>> fallback_can = {{capable(0, false, true, true)},
                                                                 {capable(1, true, false, false)}};
  EXPECT_EQ(unservable_field(fallback_can, tools), "");
  RequestNeeds image;
  image.vision = true;
  EXPECT_EQ(unservable_field(no_tools, image), "");
  EXPECT_EQ(unservable_field({{capable(1, true, true, false)}}, image), "messages");
  RequestNeeds schema;
  schema.json_schema = true;
  EXPECT_EQ(unservable_field({{capable(1, true, false, true)}}, schema), "response_format");
  // No deployments at all is not the request's fault.
  EXPECT_EQ(unservable_field({{}}, tools), "");
  EXPECT_EQ(unservable_field({{dep(3, "hand-written")}}, tools), "");
}

}  // namespace
}  // namespace junction::gateway
