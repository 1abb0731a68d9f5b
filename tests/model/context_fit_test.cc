// fit_context: hand-worked budgets (GiB = 2^30 bytes, headroom 5% + 256 MiB).
#include "model/context_fit.h"

#include <gtest/gtest.h>

namespace junction {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

// The 8B shape: 36 layers x 8 kv heads x 128 x 2 (K and V) x 2 bytes = 147,456 bytes/token
// at f16.
ContextFitInput eight_b(uint64_t available) {
  ContextFitInput in;
  in.model_max_ctx = 131072;
  in.n_sequences = 1;
  in.weight_bytes = 5 * kGiB;
  in.work_bytes = kGiB / 4;
  in.kv_bytes_per_token = 147456;
  in.available_bytes = available;
  return in;
}

TEST(ContextFit, TheModelsMaximumWhenItFits) {
  // 40 GiB: headroom 2 GiB + 256 MiB; 131072 x 147456 = 18 GiB of KV fits the ~32.5 left.
  const ContextFit f = fit_context(eight_b(40 * kGiB));
  EXPECT_EQ(f.n_ctx, 131072);
  EXPECT_EQ(f.n_pool_tokens, 131072);
  EXPECT_NE(f.reason.find("maximum 131072"), std::string::npos) << f.reason;
}

TEST(ContextFit, CutToTheMemoryLeft) {
  // 20 GiB: 20 - 5 - 0.25 - (1 + 0.25) = 13.5 GiB = 14,495,514,624 bytes / 147,456 =
  // 98,304 tokens exactly (a multiple of 16).
  const ContextFit f = fit_context(eight_b(20 * kGiB));
  EXPECT_EQ(f.n_pool_tokens, 98304);
  EXPECT_EQ(f.n_ctx, 98304);
  EXPECT_NE(f.reason.find("does not fit"), std::string::npos) << f.reason;
}

TEST(ContextFit, SeveralSequencesShareThePool) {
  ContextFitInput in = eight_b(20 * kGiB);
  in.n_sequences = 4;
  const ContextFit f = fit_context(in);
  EXPECT_EQ(f.n_pool_tokens, 98304);
  EXPECT_EQ(f.n_ctx, 98304);  // one request may still use the whole pool
  in.model_max_ctx = 8192;    // 4 x 8192 fits: a full context each
  const ContextFit small = fit_context(in);
  EXPECT_EQ(small.n_ctx, 8192);
  EXPECT_EQ(small.n_pool_tokens, 4 * 8192);
}

TEST(ContextFit, AFloorWhenNothingFits) {
  const ContextFit f = fit_context(eight_b(4 * kGiB));  // less than the weights
  EXPECT_EQ(f.n_ctx, 1024);
  EXPECT_EQ(f.n_pool_tokens, 1024);
}

TEST(ContextFit, UnknownMemoryKeepsTheOld4096Cap) {
  ContextFitInput in = eight_b(0);
  in.available_bytes.reset();
  const ContextFit f = fit_context(in);
  EXPECT_EQ(f.n_ctx, 4096);
  in.model_max_ctx = 0;  // no maximum in the config either
  EXPECT_EQ(fit_context(in).n_ctx, 4096);
  in.model_max_ctx = 2048;
  EXPECT_EQ(fit_context(in).n_ctx, 2048);
}

}  // namespace
}  // namespace junction
