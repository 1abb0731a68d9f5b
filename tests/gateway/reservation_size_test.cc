#include "gateway/reservation_size.h"

#include <gtest/gtest.h>

#include <climits>

#include "http/api_error.h"

namespace junction::gateway {
namespace {

RequestShape shape(int64_t prompt_bound, std::optional<int64_t> max_tokens, int64_t n = 1,
                   int64_t n_prompts = 1) {
  RequestShape s;
  s.model = "m";
  s.prompt_tokens_upper_bound = prompt_bound;
  s.max_tokens = max_tokens;
  if (max_tokens) s.max_tokens_field = "max_tokens";
  s.n = n;
  s.n_prompts = n_prompts;
  return s;
}

// The param a 400 names, or "" when there was none.
std::string refused_param(const RequestShape& s, int64_t context_length,
                          const std::vector<Price>& prices = {Price{1, 2}}) {
  try {
    size_reservation(s, {context_length, 0}, prices);
  } catch (const http::ApiError& e) {
    EXPECT_EQ(e.status, 400);
    return e.param;
  }
  return "";
}

TEST(ReservationSize, EveryPromptTimesNIsReserved) {
  const Price p{0, 1000};  // 1e6 nano-USD an output token
  const ReservationSize r = size_reservation(shape(208, 50, 1, 16), {256, 0}, {p});
  EXPECT_EQ(r.max_tokens, 50);
  EXPECT_EQ(r.completion_tokens, 16 * 50);
  EXPECT_EQ(r.prompt_tokens, 208);
  EXPECT_EQ(r.total_tokens, 208 + 800);
  EXPECT_EQ(r.cost, 800 * 1'000'000);
  EXPECT_EQ(size_reservation(shape(10, 50, 3, 4), {0, 0}, {p}).completion_tokens, 50 * 3 * 4);
}

TEST(ReservationSize, TheHighestPriceAmongTheModelsIsReserved) {
  const ReservationSize r =
      size_reservation(shape(100, 10), {0, 0}, {Price{1, 2}, Price{3, 1}, Price{0, 4}});
  EXPECT_EQ(r.cost, std::max({100 * 1000 + 10 * 2000, 100 * 3000 + 10 * 1000, 10 * 4000}));
}

TEST(ReservationSize, WithoutMaxTokensTheContextOrTheDefaultIsReserved) {
  ReservationSize r = size_reservation(shape(100, std::nullopt, 2), {8192, 0}, {Price{}});
  EXPECT_EQ(r.max_tokens, 8192);  // the prompt bound is bytes: context minus it could be short
  EXPECT_FALSE(r.max_tokens_asked);
  EXPECT_EQ(r.completion_tokens, 2 * 8192);
  r = size_reservation(shape(100, std::nullopt), {0, 0}, {Price{}});
  EXPECT_EQ(r.max_tokens, 4096);
  EXPECT_TRUE(r.write_max_tokens);  // nothing else bounds the upstream
  EXPECT_FALSE(size_reservation(shape(100, std::nullopt), {8192, 0}, {Price{}}).write_max_tokens);
  EXPECT_TRUE(size_reservation(shape(1, 7), {0, 0}, {Price{}}).max_tokens_asked);
  EXPECT_FALSE(size_reservation(shape(1, 7), {0, 0}, {Price{}}).write_max_tokens);
}

// A model's own output limit bounds a request without max_tokens: GPT-5.4's 1,050,000 tokens of
// context and 128,000 of output at $15/M output reserve $1.92 (plus the prompt), not $15.75.
TEST(ReservationSize, WithoutMaxTokensTheModelsOutputLimitIsReserved) {
  const Price p{2.5, 15};  // USD per 1e6 tokens in, out
  ReservationSize r = size_reservation(shape(100, std::nullopt), {1'050'000, 128'000}, {p});
  EXPECT_EQ(r.max_tokens, 128'000);
  EXPECT_FALSE(r.write_max_tokens);  // the upstream stops at its own limit
  EXPECT_EQ(r.cost, 1'920'250'000);  // nano-USD: 100 x 2,500 + 128,000 x 15,000
  // Never above the context, and an asked max_tokens is what it is.
  EXPECT_EQ(size_reservation(shape(100, std::nullopt), {8192, 128'000}, {p}).max_tokens, 8192);
  EXPECT_EQ(size_reservation(shape(100, std::nullopt), {0, 16'384}, {p}).max_tokens, 16'384);
  EXPECT_EQ(size_reservation(shape(100, 300), {1'050'000, 128'000}, {p}).max_tokens, 300);
}

TEST(ReservationSize, SizesOverTheCapsAreRefusedNamingTheParam) {
  EXPECT_EQ(refused_param(shape(10, 8, int64_t{1} << 62), 0), "n");
  EXPECT_EQ(refused_param(shape(10, 8, 129), 0), "n");
  EXPECT_EQ(refused_param(shape(10, 8, 128), 0), "");
  EXPECT_EQ(refused_param(shape(10, 8, 1, 2049), 0), "prompt");
  EXPECT_EQ(refused_param(shape(10, 8, 1, 2048), 0), "");
  EXPECT_EQ(refused_param(shape(10, 8193), 8192), "max_tokens");
  EXPECT_EQ(refused_param(shape(10, 8192), 8192), "");
  EXPECT_EQ(refused_param(shape(10, (int64_t{1} << 20) + 1), 0), "max_tokens");
  RequestShape s = shape(10, int64_t{1} << 62);
  s.max_tokens_field = "max_completion_tokens";
  EXPECT_EQ(refused_param(s, 0), "max_completion_tokens");
}

TEST(ReservationSize, OverflowAnywhereIsRefusedNotWrapped) {
  // A context_length near int64 from the config: max_tokens x n x prompts overflows.
  EXPECT_EQ(refused_param(shape(10, INT64_MAX / 2, 128, 2048), INT64_MAX), "max_tokens");
  // The prompt bound plus the completion overflows.
  EXPECT_EQ(refused_param(shape(INT64_MAX, 1), 0), "max_tokens");
  // The tokens fit but their cost does not.
  EXPECT_EQ(refused_param(shape(10, 1 << 20, 128, 2048), 0, {Price{1, 1e9}}), "max_tokens");
  EXPECT_EQ(refused_param(shape(10, 1 << 20, 128, 2048), 0, {Price{}}), "");  // free
}

TEST(ReservationSize, UsageIsClampedToWhatWasReserved) {
  const ReservationSize r = size_reservation(shape(30, 20), {0, 0}, {Price{1, 2}});  // 50 tokens
  bool clamped = false;
  TokenUsage u = clamp_usage({12, 5, 0, 4}, r, &clamped);
  EXPECT_FALSE(clamped);
  EXPECT_EQ(u.prompt_tokens, 12);
  EXPECT_EQ(u.cached_tokens, 4);

  u = clamp_usage({-1'000'000'000, -5, -3, -7}, r, &clamped);
  EXPECT_TRUE(clamped);
  EXPECT_EQ(u.prompt_tokens, 0);
  EXPECT_EQ(u.completion_tokens, 0);
  EXPECT_EQ(u.reasoning_tokens, 0);
  EXPECT_EQ(u.cached_tokens, 0);

  clamped = false;
  u = clamp_usage({INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}, r, &clamped);
  EXPECT_TRUE(clamped);
  EXPECT_EQ(u.prompt_tokens, 50);
  EXPECT_EQ(u.completion_tokens, 50);
  EXPECT_EQ(u.cached_tokens, 50);
  EXPECT_EQ(u.reasoning_tokens, 50);
  EXPECT_EQ(charge_for(Price{1, 2}, u, r, &clamped), r.cost);  // the cost cap binds

  // A prompt counted above the byte bound (tool definitions) is kept while the total fits.
  clamped = false;
  u = clamp_usage({40, 10, 0, 0}, r, &clamped);
  EXPECT_FALSE(clamped);
  EXPECT_EQ(u.prompt_tokens, 40);
}

TEST(ReservationSize, TheChargeIsTheCostAtMostTheReservation) {
  const ReservationSize r = size_reservation(shape(30, 20), {0, 0}, {Price{1, 2}});
  EXPECT_EQ(r.cost, 30 * 1000 + 20 * 2000);
  bool clamped = false;
  EXPECT_EQ(charge_for(Price{1, 2}, {12, 5, 0, 0}, r, &clamped), 12 * 1000 + 5 * 2000);
  EXPECT_FALSE(clamped);
  EXPECT_EQ(charge_for(Price{1, 2}, {0, 50, 0, 0}, r, &clamped), r.cost);
  EXPECT_TRUE(clamped);
  clamped = false;
  EXPECT_EQ(charge_for(Price{1, 2}, {0, 0, 0, 0}, r, &clamped), 0);
  EXPECT_FALSE(clamped);
}

}  // namespace
}  // namespace junction::gateway
