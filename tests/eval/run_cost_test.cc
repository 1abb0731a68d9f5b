// The cost estimate's arithmetic, prices read from a gateway's /v1/models listing, and the cap
// that no set of in-flight requests can pass, against hand-worked values.
#include "eval/run_cost.h"

#include <gtest/gtest.h>

namespace junction::eval {
namespace {

using Json = nlohmann::ordered_json;

TEST(RunCost, CostAndPromptEstimates) {
  // 1000 prompt tokens at $3/M + 2000 completion tokens at $15/M = 0.003 + 0.03.
  EXPECT_NEAR(cost_usd({3, 15}, 1000, 2000), 0.033, 1e-15);
  EXPECT_EQ(estimate_prompt_tokens(401), 101 + 8);  // ceil(401 / 4) + 8
  EXPECT_EQ(prompt_tokens_upper_bound(401), 433);
}

TEST(RunCost, PricesFromAModelsListingInOpenRoutersShape) {
  const Json listing = Json::parse(R"({"object":"list","data":[
      {"id":"other","pricing":{"prompt":"1","completion":"1"}},
      {"id":"r1","pricing":{"prompt":"0.0000006","completion":0.0000024}}]})");
  const auto p = price_from_models_listing(listing, "r1");
  ASSERT_TRUE(p.has_value());
  EXPECT_NEAR(p->input_per_mtok, 0.6, 1e-12);
  EXPECT_NEAR(p->output_per_mtok, 2.4, 1e-12);
  EXPECT_FALSE(price_from_models_listing(listing, "missing").has_value());
  for (const char* bad : {R"({"data":[{"id":"r1"}]})",
                          R"({"data":[{"id":"r1","pricing":{"prompt":"-1","completion":"1"}}]})",
                          R"({"data":[{"id":"r1","pricing":{"prompt":"x","completion":"1"}}]})",
                          R"({"data":[{"id":"r1","pricing":{"prompt":[],"completion":"1"}}]})",
                          R"({"data":{}})", R"([1,2])"})
    EXPECT_FALSE(price_from_models_listing(Json::parse(bad), "r1").has_value()) << bad;
}

TEST(RunCost, TheCapCountsReservationsInFlight) {
  // $1/M both ways, cap $0.0030: a request worth at most 1000 + 1000 tokens reserves $0.002.
  CostCap cap(TokenPrice{1, 1}, 0.0030);
  EXPECT_TRUE(cap.reserve(1000, 1000));   // reserved 0.002
  EXPECT_FALSE(cap.reserve(1000, 1000));  // 0.004 could pass 0.003
  cap.settle(1000, 1000, 100, 400);       // spent 0.0005, reservation released
  EXPECT_NEAR(cap.spent_usd(), 0.0005, 1e-15);
  EXPECT_TRUE(cap.reserve(1000, 1000));  // 0.0005 + 0.002 <= 0.003
  EXPECT_FALSE(cap.reserve(100, 500));   // + 0.0006 = 0.0031
  // No cap, or no price: never refused.
  CostCap uncapped(TokenPrice{1, 1}, std::nullopt);
  EXPECT_TRUE(uncapped.reserve(1000000000, 1000000000));
  CostCap unpriced(std::nullopt, 0.0);
  EXPECT_TRUE(unpriced.reserve(1, 1));
}

}  // namespace
}  // namespace junction::eval
