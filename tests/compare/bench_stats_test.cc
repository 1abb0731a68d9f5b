// The benchmark arithmetic against examples worked by hand (numpy.percentile's linear
// interpolation; vLLM benchmark_serving's TTFT, TPOT, ITL and throughput definitions).
#include "compare/bench_stats.h"

#include <gtest/gtest.h>

namespace junction::compare {
namespace {

TEST(Percentile, InterpolatesLinearlyBetweenRanksAsNumpy) {
  // rank = (n - 1) * p / 100 over the sorted values {1, 2, 3, 4}.
  EXPECT_DOUBLE_EQ(*percentile({4, 1, 3, 2}, 50), 2.5);   // rank 1.5
  EXPECT_DOUBLE_EQ(*percentile({4, 1, 3, 2}, 90), 3.7);   // rank 2.7
  EXPECT_DOUBLE_EQ(*percentile({4, 1, 3, 2}, 99), 3.97);  // rank 2.97
  EXPECT_DOUBLE_EQ(*percentile({4, 1, 3, 2}, 0), 1);
  EXPECT_DOUBLE_EQ(*percentile({4, 1, 3, 2}, 100), 4);
  EXPECT_DOUBLE_EQ(*percentile({5}, 99), 5);
  EXPECT_FALSE(percentile({}, 50).has_value());
}

TEST(Describe, MeanPopulationStdAndPercentiles) {
  const Distribution d = describe({1, 2, 3, 4});
  EXPECT_EQ(d.n, 4);
  EXPECT_DOUBLE_EQ(d.mean, 2.5);
  EXPECT_NEAR(d.std, 1.1180339887, 1e-9);  // sqrt((2.25 + 0.25 + 0.25 + 2.25) / 4)
  EXPECT_DOUBLE_EQ(d.p50, 2.5);
  EXPECT_DOUBLE_EQ(d.min, 1);
  EXPECT_DOUBLE_EQ(d.max, 4);
  EXPECT_EQ(describe({}).n, 0);
  EXPECT_EQ(describe({}).mean, 0);
}

RequestRecord four_tokens() {
  RequestRecord r;
  r.ok = true;
  r.token_at_s = {0.10, 0.15, 0.25, 0.30};
  r.e2e_s = 0.32;
  r.prompt_tokens = 10;
  r.output_tokens = 4;
  return r;
}

TEST(Request, TtftTpotAndInterTokenGaps) {
  const RequestRecord r = four_tokens();
  EXPECT_DOUBLE_EQ(*ttft_s(r), 0.10);
  EXPECT_NEAR(*tpot_s(r), (0.32 - 0.10) / 3, 1e-12);  // three tokens after the first
  const std::vector<double> itl = inter_token_s(r);
  ASSERT_EQ(itl.size(), 3u);
  EXPECT_NEAR(itl[0], 0.05, 1e-12);
  EXPECT_NEAR(itl[1], 0.10, 1e-12);
  EXPECT_NEAR(itl[2], 0.05, 1e-12);
}

TEST(Request, OneTokenHasNoTpotAndNoTextHasNoTtft) {
  RequestRecord r;
  r.ok = true;
  r.token_at_s = {0.2};
  r.e2e_s = 0.2;
  r.output_tokens = 1;
  EXPECT_FALSE(tpot_s(r).has_value());
  EXPECT_TRUE(inter_token_s(r).empty());
  r.token_at_s.clear();
  EXPECT_FALSE(ttft_s(r).has_value());
}

TEST(Level, ThroughputAndLatenciesOverCompletedRequestsOnly) {
  RequestRecord second;
  second.ok = true;
  second.token_at_s = {0.2, 0.4};
  second.e2e_s = 0.5;
  second.prompt_tokens = 12;
  second.output_tokens = 2;
  RequestRecord failed;
  failed.error = "HTTP 500: boom";
  const LevelSummary s = summarize_level({four_tokens(), second, failed, failed}, 2.0);
  EXPECT_EQ(s.completed, 2);
  EXPECT_EQ(s.failed, 2);
  ASSERT_EQ(s.errors.size(), 1u);  // distinct messages only
  EXPECT_EQ(s.errors[0], "HTTP 500: boom");
  EXPECT_EQ(s.total_input_tokens, 22);
  EXPECT_EQ(s.total_output_tokens, 6);
  EXPECT_DOUBLE_EQ(s.request_throughput, 1.0);       // 2 requests / 2 s
  EXPECT_DOUBLE_EQ(s.output_throughput, 3.0);        // 6 tokens / 2 s
  EXPECT_DOUBLE_EQ(s.total_token_throughput, 14.0);  // 28 tokens / 2 s
  // TTFT {100, 200} ms.
  EXPECT_NEAR(s.ttft_ms.mean, 150, 1e-9);
  EXPECT_NEAR(s.ttft_ms.p99, 199, 1e-9);
  // TPOT {73.33, 300} ms.
  EXPECT_NEAR(s.tpot_ms.mean, (220.0 / 3 + 300) / 2, 1e-9);
  // ITL pooled over requests {50, 100, 50, 200} ms: median between 50 and 100.
  EXPECT_EQ(s.itl_ms.n, 4);
  EXPECT_NEAR(s.itl_ms.p50, 75, 1e-9);
  EXPECT_NEAR(s.itl_ms.mean, 100, 1e-9);
  // E2E {320, 500} ms: p90 at rank 0.9.
  EXPECT_NEAR(s.e2el_ms.p90, 482, 1e-9);
}

TEST(Level, NothingCompletedIsAllZeros) {
  RequestRecord failed;
  failed.error = "refused";
  const LevelSummary s = summarize_level({failed}, 0.0);
  EXPECT_EQ(s.completed, 0);
  EXPECT_EQ(s.request_throughput, 0);
  EXPECT_EQ(s.ttft_ms.n, 0);
}

}  // namespace
}  // namespace junction::compare
