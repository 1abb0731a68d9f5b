// Weight quantizers against their definitions: BF16/F16 round to nearest even, and every block
// format dequantizes (quant_ref) back to within the error its bit width allows, over odd inputs
// (zeros, constants, one outlier, tiny values, both signs of the extreme).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/quant/quant_ref.h"
#include "quantize/quantize_row.h"

namespace junction::quant {
namespace {

std::vector<float> roundtrip(DType t, const std::vector<float>& x) {
  std::vector<std::byte> q(row_size(t, static_cast<int64_t>(x.size())));
  quantize_row(t, x.data(), q.data(), static_cast<int64_t>(x.size()));
  std::vector<float> y(x.size());
  dequantize_row(t, q.data(), y.data(), static_cast<int64_t>(x.size()));
  return y;
}

double relative_rmse(const std::vector<float>& x, const std::vector<float>& y) {
  double e = 0, n = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    e += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
    n += double(x[i]) * x[i];
  }
  return n > 0 ? std::sqrt(e / n) : std::sqrt(e);
}

TEST(QuantizeRow, Bf16IsRoundToNearestEvenLikeGgufPy) {
  std::vector<float> x = {1.0f,
                          -2.5f,
                          0.0f,
                          -0.0f,
                          1e-40f,
                          3.0e38f,
                          std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
  for (uint32_t bits :
       {0x3f808000u, 0x3f818000u, 0x3f808001u, 0x3f807fffu, 0x7f7fffffu, 0xff800001u}) {
    float f;
    std::memcpy(&f, &bits, 4);
    x.push_back(f);
  }
  std::vector<uint16_t> got(x.size());
  quantize_row(DType::BF16, x.data(), reinterpret_cast<std::byte*>(got.data()),
               static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    uint32_t n;
    std::memcpy(&n, &x[i], 4);
    if ((n & 0x7fffffffu) > 0x7f800000u) n = (n & 0xffff0000u) | (64u << 16);  // quiet NaN
    const uint16_t want = static_cast<uint16_t>((uint64_t{n} + (0x7fffu + ((n >> 16) & 1u))) >> 16);
    EXPECT_EQ(got[i], want) << i;
  }
}

TEST(QuantizeRow, F16RoundsToNearestEven) {
  // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: even wins (1.0); 1 + 3*2^-11 rounds up.
  const std::vector<float> x = {1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 65504.0f, 1e6f, -6e-8f};
  std::vector<uint16_t> h(x.size());
  quantize_row(DType::F16, x.data(), reinterpret_cast<std::byte*>(h.data()),
               static_cast<int64_t>(x.size()));
  EXPECT_EQ(h[0], 0x3c00);
  EXPECT_EQ(h[1], 0x3c02);
  EXPECT_EQ(h[2], 0x7bff);
  EXPECT_EQ(h[3], 0x7c00);
  EXPECT_EQ(h[4], 0x8001);
}

TEST(QuantizeRow, Q4_0MapsTheSignedExtremeToMinusEight) {
  std::vector<float> x(32, 0.0f);
  x[3] = -4.0f;  // extreme: d = -4 / -8 = 0.5
  x[5] = 3.9f;
  std::vector<std::byte> q(row_size(DType::Q4_0, 32));
  quantize_row(DType::Q4_0, x.data(), q.data(), 32);
  BlockQ4_0 b;
  std::memcpy(&b, q.data(), sizeof(b));
  EXPECT_EQ(f16_to_f32(b.d), 0.5f);
  EXPECT_EQ(b.qs[3] & 15, 0);   // -4 / 0.5 + 8 = 0
  EXPECT_EQ(b.qs[5] & 15, 15);  // 3.9 / 0.5 + 8.5 = 16.3 -> clamped to 15
  EXPECT_EQ(b.qs[0] & 15, 8);   // zero
}

TEST(QuantizeRow, EveryFormatRoundTripsWithinItsBitWidth) {
  struct Case {
    DType type;
    double max_rel_rmse;  // on Gaussian data
  };
  const Case cases[] = {{DType::F16, 5e-4},  {DType::BF16, 4e-3}, {DType::Q8_0, 8e-3},
                        {DType::Q5_0, 6e-2}, {DType::Q5_1, 6e-2}, {DType::Q4_0, 0.12},
                        {DType::Q4_1, 0.12}, {DType::Q6_K, 3e-2}, {DType::Q5_K, 5e-2},
                        {DType::Q4_K, 0.1}};
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (const auto& c : cases) {
    for (int64_t n : {256, 512, 1024}) {
      std::vector<float> x(n);
      for (auto& v : x) v = normal(rng);
      EXPECT_LE(relative_rmse(x, roundtrip(c.type, x)), c.max_rel_rmse)
          << dtype_name(c.type) << " n=" << n;
      x[17] = 0.5f;  // one outlier: the other blocks are untouched, nothing overflows
      const auto y = roundtrip(c.type, x);
      EXPECT_NEAR(y[17], 0.5f, 0.5f * std::max(c.max_rel_rmse, 1e-2)) << dtype_name(c.type);
      const std::vector<float> zeros(n, 0.0f);
      EXPECT_EQ(roundtrip(c.type, zeros), zeros) << dtype_name(c.type);
      const std::vector<float> constant(n, -0.125f);
      EXPECT_LE(relative_rmse(constant, roundtrip(c.type, constant)), 2e-2) << dtype_name(c.type);
      std::vector<float> large(n);
      for (auto& v : large) v = normal(rng) * 1000.0f;
      EXPECT_LE(relative_rmse(large, roundtrip(c.type, large)), c.max_rel_rmse)
          << dtype_name(c.type) << " large";
    }
  }
}

TEST(QuantizeRow, RejectsPartialBlocks) {
  std::vector<float> x(48);
  std::vector<std::byte> q(1024);
  EXPECT_THROW(quantize_row(DType::Q4_K, x.data(), q.data(), 48), std::exception);
  EXPECT_FALSE(can_quantize(DType::Q8_K));
}

}  // namespace
}  // namespace junction::quant
