// /metrics text: engine counters appear under vLLM's names, so existing dashboards read them.
#include "server/metrics.h"

#include <gtest/gtest.h>

namespace junction::server {
namespace {

TEST(Metrics, PreemptionsAreACounterUnderVllmsName) {
  Metrics metrics("m");
  EngineStats stats;
  stats.n_preemptions = 3;
  const std::string text = metrics.render(stats);
  EXPECT_NE(text.find("# TYPE vllm:num_preemptions_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("\nvllm:num_preemptions_total{model_name=\"m\"} 3\n"), std::string::npos);
}

}  // namespace
}  // namespace junction::server
