// Quantized dot products: the reference (integer sums, as ggml defines them) equals the plain
// float dot product of the dequantized weights and dequantized activations; every SIMD version
// equals the reference. Weight rows come from real llama.cpp GGUF files (tests/data/gguf).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "formats/gguf.h"
#include "kernels/cpu/isa_kernels.h"
#include "kernels/cpu/packed_k_quant.h"
#include "kernels/cpu/packed_q8_0.h"
#include "kernels/ops.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/ref/ref_ops.h"
#include "quantize/quantize_row.h"
#include "tests/support/isa_levels.h"

namespace junction {
namespace {
// Prefill equals decode bit for bit in optimized builds: same integer lanes, same float order,
// fused where GCC fuses the scalar code. Sanitizer instrumentation changes where GCC fuses a
// multiply and an add, so under ASan/UBSan the two differ by float rounding of the partial
// sums (rows of 12288 products cancel to ~0.05 here): held to the reference's 1e-4 there.
#if defined(__SANITIZE_ADDRESS__)
constexpr float kPrefillDecodeTolerance = 1e-4f;
#else
constexpr float kPrefillDecodeTolerance = 0.0f;
#endif
bool same_as_decode(float prefill, float decode) {
  return std::fabs(prefill - decode) <= kPrefillDecodeTolerance * (1 + std::fabs(decode));
}
}  // namespace

namespace {

const std::string kGguf = std::string(JUNCTION_TEST_DATA) + "/gguf/";

struct Case {
  const char* file;
  const char* tensor;
};

// One tensor of each quantized type in the fixtures.
const Case kCases[] = {
    {"qwen3-qbase-Q8_0.gguf", "blk.0.ffn_down.weight"},
    {"qwen3-qbase-Q4_0.gguf", "blk.0.attn_q.weight"},
    {"qwen3-qbase-Q4_K_M.gguf", "blk.0.attn_q.weight"},
    {"qwen3-qbase-Q5_K_M.gguf", "blk.0.ffn_down.weight"},
    {"qwen3-qbase-Q6_K.gguf", "blk.0.ffn_up.weight"},
    {"qwen3-qbase-F16.gguf", "blk.0.attn_k.weight"},
};

std::vector<float> activations(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  x[n / 3] = 7.5f;  // an outlier, as real activations have
  return x;
}

TEST(Quant, ReferenceDotEqualsDequantizedDot) {
  std::mt19937 rng(1);
  for (const Case& c : kCases) {
    const auto g = GgufFile::open(kGguf + c.file);
    const GgufTensor* t = g->tensor(c.tensor);
    ASSERT_NE(t, nullptr);
    if (!is_quantized(t->dtype)) continue;
    const int64_t K = t->ne[0];
    const auto x = activations(K, rng);
    std::vector<std::byte> xq(kernels::ref::quantized_activation_bytes(t->dtype, K));
    kernels::ref::quantize_activations(t->dtype, x.data(), K, xq.data());
    const DType act = quant::activation_format(t->dtype) == quant::ActivationFormat::kQ8_0
                          ? DType::Q8_0
                          : DType::Q8_K;
    std::vector<float> xd(K), wd(K);
    quant::dequantize_row(act, xq.data(), xd.data(), K);
    for (int64_t r = 0; r < 8; ++r) {
      const std::byte* row = t->data + r * row_size(t->dtype, K);
      quant::dequantize_row(t->dtype, row, wd.data(), K);
      double want = 0, scale = 0;
      for (int64_t k = 0; k < K; ++k) {
        want += double{wd[k]} * xd[k];
        scale += std::fabs(double{wd[k]} * xd[k]);
      }
      const float got = quant::vec_dot_ref(t->dtype, row, xq.data(), K);
      EXPECT_NEAR(got, want, 1e-5 * scale + 1e-6)
          << c.file << " " << dtype_name(t->dtype) << " row " << r;
    }
  }
}

TEST(Quant, ActivationQuantizationRoundTripsWithinHalfAStep) {
  std::mt19937 rng(2);
  const auto x = activations(512, rng);
  for (DType weights : {DType::Q8_0, DType::Q4_K}) {
    std::vector<std::byte> xq(kernels::ref::quantized_activation_bytes(weights, 512));
    kernels::ref::quantize_activations(weights, x.data(), 512, xq.data());
    const int64_t block = block_elements(weights);
    const DType act = block == 32 ? DType::Q8_0 : DType::Q8_K;
    std::vector<float> back(512);
    quant::dequantize_row(act, xq.data(), back.data(), 512);
    for (int64_t b = 0; b < 512 / block; ++b) {
      float amax = 0;
      for (int64_t j = 0; j < block; ++j) amax = std::max(amax, std::fabs(x[b * block + j]));
      // Half a step (amax / 127), plus for Q8_0 the f16 rounding of the stored scale: up to 127
      // steps times a relative 2^-11.
      const float step = amax / 127;
      const float bound = block == 32 ? step * (0.5f + 127.0f / 2048) : step * 0.5f * 1.0001f;
      for (int64_t j = 0; j < block; ++j)
        EXPECT_LE(std::fabs(back[b * block + j] - x[b * block + j]), bound + 1e-6f);
    }
  }
}

TEST(Quant, SimdMatmulEqualsReferenceForEveryType) {
  std::mt19937 rng(3);
  const auto isas = testing::kernels_under_test();
  for (const Case& c : kCases) {
    const auto g = GgufFile::open(kGguf + c.file);
    const GgufTensor* t = g->tensor(c.tensor);
    if (!is_quantized(t->dtype)) continue;
    for (const int64_t T : {1, 3}) {  // decode (one token) and prefill (unpacked rows) paths
      const int64_t K = t->ne[0], N = 37;
      const WeightView w{t->data, t->dtype, N, K};
      const auto x = activations(T * K, rng);
      std::vector<float> want(T * N);
      kernels::ref::matmul(x.data(), T, w, want.data());
      const size_t row_bytes = kernels::ref::quantized_activation_bytes(t->dtype, K);
      std::vector<std::byte> xq(row_bytes * T);
      for (int64_t i = 0; i < T; ++i)
        kernels::ref::quantize_activations(t->dtype, x.data() + i * K, K,
                                           xq.data() + i * row_bytes);
      for (const auto* isa : isas) {
        std::vector<float> got(T * N, NAN);
        isa->quant_matmul_rows(xq.data(), row_bytes, T, w, 0, N, got.data());
        for (int64_t i = 0; i < T * N; ++i)
          ASSERT_NEAR(got[i], want[i], 1e-4f * (1 + std::fabs(want[i])))
              << isa->name << " " << dtype_name(t->dtype) << " tokens " << T;
      }
    }
  }
}

// Stored rows of every quantized type, decode and prefill: every level gives the lowest level's
// numbers bit for bit (the scalar level finishes in the SIMD kernels' float order,
// quant_dot_scalar-inl.h), so a model's logits do not depend on the CPU it runs on.
TEST(Quant, StoredRowsGiveTheSameNumbersAtEveryLevel) {
  std::mt19937 rng(11);
  const auto isas = testing::kernels_under_test();
  for (const Case& c : kCases) {
    const auto g = GgufFile::open(kGguf + c.file);
    const GgufTensor* t = g->tensor(c.tensor);
    if (!is_quantized(t->dtype)) continue;
    for (const int64_t T : {1, 2, 7}) {
      const int64_t K = t->ne[0], N = 37;
      const WeightView w{t->data, t->dtype, N, K};
      const auto x = activations(T * K, rng);
      const size_t row_bytes = kernels::ref::quantized_activation_bytes(t->dtype, K);
      std::vector<std::byte> xq(row_bytes * T);
      for (int64_t i = 0; i < T; ++i)
        kernels::ref::quantize_activations(t->dtype, x.data() + i * K, K,
                                           xq.data() + i * row_bytes);
      std::vector<float> lowest;
      for (const auto* isa : isas) {
        std::vector<float> got(T * N, NAN);
        isa->quant_matmul_rows(xq.data(), row_bytes, T, w, 0, N, got.data());
        if (lowest.empty()) {
          lowest = got;
          continue;
        }
        for (int64_t i = 0; i < T * N; ++i)
          ASSERT_TRUE(same_as_decode(got[i], lowest[i]))
              << got[i] << " vs " << lowest[i] << " " << isa->name << " vs " << isas[0]->name << " "
              << dtype_name(t->dtype) << " tokens " << T << " output " << i;
      }
    }
  }
}

// Q5_K: every path (scalar reference, AVX2 and AVX-512 decode, the prefill paths for pairs of
// tokens and for a lone token) adds the same floats in the same order as ggml's x86 kernel, so
// they agree bit for bit; a last-bit difference can flip the next layer's int8 rounding (see
// quant::vec_dot_ref). ffn_down has 3 super-blocks per row, so the cross-block order matters.
TEST(Quant, Q5KPathsAgreeBitForBit) {
  std::mt19937 rng(4);
  const auto isas = testing::kernels_under_test();
  const auto g = GgufFile::open(kGguf + "qwen3-qbase-Q5_K_M.gguf");
  const GgufTensor* t = g->tensor("blk.0.ffn_down.weight");
  ASSERT_EQ(t->dtype, DType::Q5_K);
  const int64_t K = t->ne[0], N = 37;
  ASSERT_EQ(K % (3 * quant::kQK_K), 0);
  const WeightView w{t->data, t->dtype, N, K};
  for (const int64_t T : {1, 2, 3, 5}) {
    const auto x = activations(T * K, rng);
    const size_t row_bytes = kernels::ref::quantized_activation_bytes(t->dtype, K);
    std::vector<std::byte> xq(row_bytes * T);
    for (int64_t i = 0; i < T; ++i)
      kernels::ref::quantize_activations(t->dtype, x.data() + i * K, K, xq.data() + i * row_bytes);
    for (const auto* isa : isas) {
      std::vector<float> got(T * N, NAN);
      isa->quant_matmul_rows(xq.data(), row_bytes, T, w, 0, N, got.data());
      for (int64_t i = 0; i < T * N; ++i) {
        const float want =
            quant::vec_dot_ref(DType::Q5_K, w.row(i % N), xq.data() + (i / N) * row_bytes, K);
        ASSERT_EQ(got[i], want) << isa->name << " tokens " << T << " output " << i;
      }
    }
  }
}

// The prefill GEMMs (tiles of rows x tokens: q8_0_gemm_vnni-inl.h on AVX-512 VNNI, the K-quant
// token tiles of packed_k_quant_kernels-inl.h on both x86 levels) against the reference, over token
// counts that leave every kind of partial tile (1..3 tokens past a group of 4, partial groups of
// 16) and row ranges that start and end off the 4-row tile. They must also give exactly the numbers
// of the decode path (one token at a time), which follows ggml's float order: prefill and decode
// agree bit for bit, so a prompt's logits do not depend on how it was split.
TEST(Quant, PrefillGemmEqualsReferenceAndDecodeOverOddShapes) {
  std::mt19937 rng(4);
  const auto isas = testing::kernels_under_test();
  for (const Case& c : kCases) {
    const auto g = GgufFile::open(kGguf + c.file);
    const GgufTensor* t = g->tensor(c.tensor);
    if (!is_quantized(t->dtype)) continue;
    const int64_t K = t->ne[0], N = std::min<int64_t>(t->ne[1], 43);
    const WeightView w{t->data, t->dtype, N, K};
    const int64_t row_begin = 3, row_end = N - 2;  // partial 4-row tiles at both ends
    for (const int64_t T : {2, 7, 11, 21, 37}) {
      const auto x = activations(T * K, rng);
      std::vector<float> want(T * N);
      kernels::ref::matmul(x.data(), T, w, want.data());
      const size_t row_bytes = kernels::ref::quantized_activation_bytes(t->dtype, K);
      std::vector<std::byte> xq(row_bytes * T);
      for (int64_t i = 0; i < T; ++i)
        kernels::ref::quantize_activations(t->dtype, x.data() + i * K, K,
                                           xq.data() + i * row_bytes);
      for (const auto* isa : isas) {
        std::vector<float> got(T * N, NAN), decode(N, NAN);
        isa->quant_matmul_rows(xq.data(), row_bytes, T, w, row_begin, row_end, got.data());
        for (int64_t i = 0; i < T; ++i) {
          isa->quant_matmul_rows(xq.data() + i * row_bytes, row_bytes, 1, w, row_begin, row_end,
                                 decode.data());
          for (int64_t n = 0; n < N; ++n) {
            const float v = got[i * N + n];
            if (n < row_begin || n >= row_end) {
              ASSERT_TRUE(std::isnan(v)) << isa->name << " wrote row " << n << " outside its range";
              continue;
            }
            ASSERT_NEAR(v, want[i * N + n], 1e-4f * (1 + std::fabs(want[i * N + n])))
                << isa->name << " " << dtype_name(t->dtype) << " tokens " << T << " token " << i
                << " row " << n;
            ASSERT_TRUE(same_as_decode(v, decode[n]))
                << v << " vs " << decode[n] << " " << isa->name << " " << dtype_name(t->dtype)
                << " tokens " << T << ": prefill differs from decode at token " << i << " row "
                << n;
          }
        }
      }
    }
  }
}

// Each instruction set's activation quantizer writes exactly the reference's bytes: ties at .5
// (half to even), a largest element that is negative or repeated, an all-zero block, outliers.
TEST(Quant, SimdActivationQuantizationEqualsReferenceBytes) {
  std::mt19937 rng(5);
  const int64_t K = 1024;
  for (int trial = 0; trial < 20; ++trial) {
    auto x = activations(K, rng);
    if (trial % 4 == 1) std::fill(x.begin(), x.begin() + 256, 0.0f);  // a zero block
    if (trial % 4 == 2) {  // the largest magnitude negative and repeated; exact .5 ties
      x[300] = -9.0f;
      x[400] = 9.0f;
      x[301] = -9.0f;
      for (int j = 0; j < 32; ++j) x[512 + j] = (j - 16) / 16.0f;
      x[512 + 31] = 127.0f / 8;  // scale 1/8: every x * 127 / amax lands on a .5 tie or integer
    }
    for (DType weights : {DType::Q8_0, DType::Q4_K}) {
      const size_t bytes = kernels::ref::quantized_activation_bytes(weights, K);
      std::vector<std::byte> want(bytes), got(bytes);
      kernels::ref::quantize_activations(weights, x.data(), K, want.data());
      for (const auto* isa : testing::kernels_under_test()) {
        std::fill(got.begin(), got.end(), std::byte{0x55});
        isa->quantize_activations(weights, x.data(), K, got.data());
        ASSERT_EQ(std::memcmp(got.data(), want.data(), bytes), 0)
            << isa->name << " " << dtype_name(weights) << " trial " << trial;
      }
    }
  }
}

// Wide rows (an 8B model's FFN down projection): the GEMMs split 100 tokens into several token
// blocks there; the results must not depend on the split.
TEST(Quant, PrefillGemmOverTokenBlocksEqualsDecode) {
  std::mt19937 rng(6);
  const int64_t K = 12288, N = 9, T = 100;
  for (DType type : {DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
    const auto wf = activations(N * K, rng);
    const size_t rb = row_size(type, K);
    std::vector<std::byte> wq(rb * N);
    for (int64_t r = 0; r < N; ++r)
      quant::quantize_row(type, wf.data() + r * K, wq.data() + r * rb, K);
    const WeightView w{wq.data(), type, N, K};
    const auto x = activations(T * K, rng);
    const size_t row_bytes = kernels::ref::quantized_activation_bytes(type, K);
    std::vector<std::byte> xq(row_bytes * T);
    for (int64_t i = 0; i < T; ++i)
      kernels::ref::quantize_activations(type, x.data() + i * K, K, xq.data() + i * row_bytes);
    for (const auto* isa : testing::kernels_under_test()) {
      std::vector<float> got(T * N), decode(N);
      isa->quant_matmul_rows(xq.data(), row_bytes, T, w, 0, N, got.data());
      for (int64_t i = 0; i < T; ++i) {
        isa->quant_matmul_rows(xq.data() + i * row_bytes, row_bytes, 1, w, 0, N, decode.data());
        for (int64_t n = 0; n < N; ++n)
          ASSERT_TRUE(same_as_decode(got[i * N + n], decode[n]))
              << got[i * N + n] << " vs " << decode[n] << " " << isa->name << " "
              << dtype_name(type) << " token " << i << " row " << n;
      }
    }
  }
}

// Q4_K and Q6_K packed at load (kernels/cpu/packed_k_quant.h, 16 rows interleaved): every
// level's packed matmul against the reference over row counts that leave the last group partial
// (and one shorter than a group), row ranges off the group bounds, decode and prefill token
// counts. The packed kernels give exactly the stored layout's numbers (same integer sums, same
// float order), and the scalar, AVX2 and AVX-512 ones agree with each other bit for bit.
TEST(Quant, PackedKQuantEqualsReferenceAndStoredLayoutOverOddRows) {
  for (const DType type : {DType::Q4_K, DType::Q6_K}) {
    std::mt19937 rng(7);
    const auto isas = testing::kernels_under_test();
    struct Shape {
      int64_t rows, cols, row_begin, row_end;
    };
    for (const Shape& sh : {Shape{37, 512, 0, 37}, Shape{37, 768, 3, 35}, Shape{5, 256, 1, 4},
                            Shape{48, 1024, 16, 33}, Shape{21, 12288, 0, 21}}) {
      const int64_t K = sh.cols, N = sh.rows;
      const auto wf = activations(N * K, rng);
      const size_t rb = row_size(type, K);
      std::vector<std::byte> wq(rb * N);
      for (int64_t r = 0; r < N; ++r)
        quant::quantize_row(type, wf.data() + r * K, wq.data() + r * rb, K);
      const WeightView w{wq.data(), type, N, K};
      kernels::PackedKQuant packed(w);
      packed.pack_groups(w, 0, packed.groups());
      ASSERT_EQ(packed.groups(), (N + 15) / 16);
      for (const int64_t T : {1, 2, 3, 7, 20}) {
        const auto x = activations(T * K, rng);
        std::vector<float> want(T * N);
        kernels::ref::matmul(x.data(), T, w, want.data());
        const size_t row_bytes = kernels::ref::quantized_activation_bytes(type, K);
        std::vector<std::byte> xq(row_bytes * T);
        for (int64_t i = 0; i < T; ++i)
          kernels::ref::quantize_activations(type, x.data() + i * K, K, xq.data() + i * row_bytes);
        std::vector<float> first_isa;
        for (const auto* isa : isas) {
          std::vector<float> got(T * N, NAN), stored(T * N, NAN), decode(N, NAN);
          isa->packed_matmul_rows(xq.data(), row_bytes, T, packed, sh.row_begin, sh.row_end,
                                  got.data());
          isa->quant_matmul_rows(xq.data(), row_bytes, T, w, sh.row_begin, sh.row_end,
                                 stored.data());
          for (int64_t i = 0; i < T; ++i) {
            isa->packed_matmul_rows(xq.data() + i * row_bytes, row_bytes, 1, packed, sh.row_begin,
                                    sh.row_end, decode.data());
            for (int64_t n = 0; n < N; ++n) {
              const float v = got[i * N + n];
              if (n < sh.row_begin || n >= sh.row_end) {
                ASSERT_TRUE(std::isnan(v))
                    << isa->name << " wrote row " << n << " outside its range";
                continue;
              }
              const float ref = want[i * N + n];
              ASSERT_NEAR(v, ref, 1e-4f * (1 + std::fabs(ref)))
                  << isa->name << " " << dtype_name(type) << " rows " << N << " cols " << K
                  << " tokens " << T << " token " << i << " row " << n;
              ASSERT_TRUE(same_as_decode(v, decode[n]))
                  << v << " vs " << decode[n] << " " << isa->name << " tokens " << T
                  << ": packed prefill differs from packed decode at token " << i << " row " << n;
              ASSERT_TRUE(same_as_decode(v, stored[i * N + n]))
                  << v << " vs " << stored[i * N + n] << " " << isa->name << " tokens " << T
                  << ": packed differs from the stored layout at token " << i << " row " << n;
            }
          }
          if (first_isa.empty()) {
            first_isa = got;
            continue;
          }
          for (int64_t i = 0; i < T * N; ++i)
            if (!std::isnan(got[i])) {
              ASSERT_TRUE(same_as_decode(got[i], first_isa[i]))
                  << got[i] << " vs " << first_isa[i] << " " << isa->name << " vs scalar, output "
                  << i;
            }
        }
      }
    }
  }
}

// The Q4_K / Q6_K prefill GEMM (packed_k_gemm; stored_k_gemm packs stored rows first) takes
// tokens in L2-sized panels (about 37 tokens at 12288 columns) and 6-token tiles: 100 tokens at
// two widths cross both bounds and end on partial tiles, over a row range that starts and ends
// inside a group. Every output, from the packed copy and from the stored rows, must equal
// decode's, and nothing outside the range may be written.
TEST(Quant, KQuantPrefillOverTokenPanelsEqualsDecode) {
  std::mt19937 rng(9);
  for (const DType type : {DType::Q4_K, DType::Q6_K})
    for (const int64_t K : {int64_t{12288}, int64_t{2816}}) {
      const int64_t N = 45, T = 100, row_begin = 5, row_end = 43;
      const auto wf = activations(N * K, rng);
      const size_t rb = row_size(type, K);
      std::vector<std::byte> wq(rb * N);
      for (int64_t r = 0; r < N; ++r)
        quant::quantize_row(type, wf.data() + r * K, wq.data() + r * rb, K);
      const WeightView w{wq.data(), type, N, K};
      kernels::PackedKQuant packed(w);
      packed.pack_groups(w, 0, packed.groups());
      const auto x = activations(T * K, rng);
      const size_t row_bytes = kernels::ref::quantized_activation_bytes(type, K);
      std::vector<std::byte> xq(row_bytes * T);
      for (int64_t i = 0; i < T; ++i)
        kernels::ref::quantize_activations(type, x.data() + i * K, K, xq.data() + i * row_bytes);
      for (const auto* isa : testing::kernels_under_test()) {
        std::vector<float> got(T * N, NAN), stored(T * N, NAN), decode(N, NAN);
        isa->packed_matmul_rows(xq.data(), row_bytes, T, packed, row_begin, row_end, got.data());
        isa->quant_matmul_rows(xq.data(), row_bytes, T, w, row_begin, row_end, stored.data());
        for (int64_t i = 0; i < T; ++i) {
          isa->packed_matmul_rows(xq.data() + i * row_bytes, row_bytes, 1, packed, row_begin,
                                  row_end, decode.data());
          for (int64_t n = 0; n < N; ++n) {
            if (n < row_begin || n >= row_end) {
              ASSERT_TRUE(std::isnan(got[i * N + n])) << "wrote row " << n << " token " << i;
              ASSERT_TRUE(std::isnan(stored[i * N + n])) << "wrote row " << n << " token " << i;
              continue;
            }
            ASSERT_TRUE(same_as_decode(got[i * N + n], decode[n]))
                << got[i * N + n] << " vs " << decode[n] << " " << isa->name << " "
                << dtype_name(type) << " cols " << K << " token " << i << " row " << n;
            ASSERT_TRUE(same_as_decode(stored[i * N + n], decode[n]))
                << stored[i * N + n] << " vs " << decode[n] << " " << isa->name << " stored "
                << dtype_name(type) << " cols " << K << " token " << i << " row " << n;
          }
        }
      }
    }
}

// The backend packs Q4_K at prepare_weight and then reads only the packed copy: its matmul with
// the prepared weight gives the reference's numbers with the stored bytes overwritten; other
// types (Q6_K included, see cpu_backend.cc) are not prepared.
TEST(Quant, CpuBackendPreparedKQuantReadsOnlyThePackedCopy) {
  for (const DType type : {DType::Q4_K, DType::Q6_K}) {
    std::mt19937 rng(8);
    const int64_t K = 512, N = 45, T = 3;
    const auto wf = activations(N * K, rng);
    const size_t rb = row_size(type, K);
    std::vector<std::byte> wq(rb * N);
    for (int64_t r = 0; r < N; ++r)
      quant::quantize_row(type, wf.data() + r * K, wq.data() + r * rb, K);
    const WeightView w{wq.data(), type, N, K};
    const auto x = activations(T * K, rng);
    std::vector<float> want(T * N);
    kernels::make_reference_backend()->matmul(x.data(), T, w, want.data());
    ThreadPool pool(3);
    for (const std::string_view isa : testing::isa_levels_under_test()) {
      auto backend = kernels::make_cpu_backend(pool, isa);
      const auto prepared = backend->prepare_weight(w);
      if (type == DType::Q6_K) {  // left in the stored layout (cpu_backend.cc says why)
        EXPECT_EQ(prepared, nullptr) << isa;
        continue;
      }
      ASSERT_NE(prepared, nullptr) << isa;
      EXPECT_GE(prepared->bytes(), wq.size());
      std::vector<std::byte> saved = wq;
      std::fill(wq.begin(), wq.end(), std::byte{0x7f});  // the stored copy is gone
      for (const int64_t t : {T, int64_t{1}}) {
        std::vector<float> got(t * N, NAN);
        backend->matmul(x.data(), t, w, prepared.get(), got.data());
        for (int64_t i = 0; i < t * N; ++i)
          ASSERT_NEAR(got[i], want[i], 1e-4f * (1 + std::fabs(want[i])))
              << isa << " " << dtype_name(type) << " output " << i;
      }
      wq = saved;
      EXPECT_EQ(backend->prepare_weight(WeightView{wq.data(), DType::Q4_0, 2, 64}), nullptr);
    }
    auto reference = kernels::make_reference_backend();
    EXPECT_EQ(reference->prepare_weight(w), nullptr);
  }
}

// Q8_0 packed at load (kernels/cpu/packed_q8_0.h, 16 rows side by side): every level's packed
// matmul against the reference, and bit for bit against the stored layout's decode dot and
// prefill GEMM, over row counts that leave the last group partial (and one shorter than a
// group), row ranges off the group bounds, an odd block count, decode and prefill token counts;
// the scalar, AVX2 and AVX-512 levels agree bit for bit.
TEST(Quant, PackedQ8_0EqualsReferenceAndStoredLayoutOverOddRows) {
  std::mt19937 rng(9);
  const auto isas = testing::kernels_under_test();
  struct Shape {
    int64_t rows, cols, row_begin, row_end;
  };
  for (const Shape& sh : {Shape{37, 512, 0, 37}, Shape{37, 96, 3, 35}, Shape{5, 32, 1, 4},
                          Shape{48, 1024, 16, 33}, Shape{21, 12288, 0, 21}}) {
    const int64_t K = sh.cols, N = sh.rows;
    const auto wf = activations(N * K, rng);
    const size_t rb = row_size(DType::Q8_0, K);
    std::vector<std::byte> wq(rb * N);
    for (int64_t r = 0; r < N; ++r)
      quant::quantize_row(DType::Q8_0, wf.data() + r * K, wq.data() + r * rb, K);
    wq[3] = std::byte{0x80};  // a -128 code, which the quantizer never writes but a file may hold
    const WeightView w{wq.data(), DType::Q8_0, N, K};
    kernels::PackedQ8_0 packed(w);
    packed.pack_groups(w, 0, packed.groups());
    ASSERT_EQ(packed.groups(), (N + 15) / 16);
    for (const int64_t T : {1, 2, 3, 7, 20}) {
      const auto x = activations(T * K, rng);
      std::vector<float> want(T * N);
      kernels::ref::matmul(x.data(), T, w, want.data());
      const size_t row_bytes = kernels::ref::quantized_activation_bytes(DType::Q8_0, K);
      std::vector<std::byte> xq(row_bytes * T);
      for (int64_t i = 0; i < T; ++i)
        kernels::ref::quantize_activations(DType::Q8_0, x.data() + i * K, K,
                                           xq.data() + i * row_bytes);
      std::vector<float> first_isa;
      for (const auto* isa : isas) {
        std::vector<float> got(T * N, NAN), stored(T * N, NAN), decode(N, NAN),
            stored_decode(N, NAN);
        isa->packed_q8_0_matmul_rows(xq.data(), row_bytes, T, packed, sh.row_begin, sh.row_end,
                                     got.data());
        isa->quant_matmul_rows(xq.data(), row_bytes, T, w, sh.row_begin, sh.row_end, stored.data());
        for (int64_t i = 0; i < T; ++i) {
          isa->packed_q8_0_matmul_rows(xq.data() + i * row_bytes, row_bytes, 1, packed,
                                       sh.row_begin, sh.row_end, decode.data());
          isa->quant_matmul_rows(xq.data() + i * row_bytes, row_bytes, 1, w, sh.row_begin,
                                 sh.row_end, stored_decode.data());
          for (int64_t n = 0; n < N; ++n) {
            const float v = got[i * N + n];
            if (n < sh.row_begin || n >= sh.row_end) {
              ASSERT_TRUE(std::isnan(v)) << isa->name << " wrote row " << n << " outside its range";
              continue;
            }
            const float ref = want[i * N + n];
            ASSERT_NEAR(v, ref, 1e-4f * (1 + std::fabs(ref)))
                << isa->name << " rows " << N << " cols " << K << " tokens " << T << " token " << i
                << " row " << n;
            ASSERT_TRUE(same_as_decode(v, decode[n]))
                << v << " vs " << decode[n] << " " << isa->name << " tokens " << T
                << ": packed prefill differs from packed decode at token " << i << " row " << n;
            ASSERT_EQ(decode[n], stored_decode[n])
                << isa->name << " cols " << K
                << ": packed decode differs from the stored layout's at token " << i << " row "
                << n;
            ASSERT_TRUE(same_as_decode(v, stored[i * N + n]))
                << v << " vs " << stored[i * N + n] << " " << isa->name << " tokens " << T
                << ": packed differs from the stored layout at token " << i << " row " << n;
          }
        }
        if (first_isa.empty()) {
          first_isa = got;
          continue;
        }
        for (int64_t i = 0; i < T * N; ++i)
          if (!std::isnan(got[i])) {
            ASSERT_TRUE(same_as_decode(got[i], first_isa[i]))
                << got[i] << " vs " << first_isa[i] << " " << isa->name << " vs scalar, output "
                << i;
          }
      }
    }
  }
}

// The backend packs Q8_0 at prepare_weight and then reads only the packed copy: decode and
// prefill give the reference's numbers with the stored bytes overwritten.
TEST(Quant, CpuBackendPreparedQ8_0ReadsOnlyThePackedCopy) {
  std::mt19937 rng(10);
  const int64_t K = 544, N = 45, T = 5;
  const auto wf = activations(N * K, rng);
  const size_t rb = row_size(DType::Q8_0, K);
  std::vector<std::byte> wq(rb * N);
  for (int64_t r = 0; r < N; ++r)
    quant::quantize_row(DType::Q8_0, wf.data() + r * K, wq.data() + r * rb, K);
  const WeightView w{wq.data(), DType::Q8_0, N, K};
  const auto x = activations(T * K, rng);
  std::vector<float> want(T * N);
  kernels::make_reference_backend()->matmul(x.data(), T, w, want.data());
  ThreadPool pool(3);
  for (const std::string_view isa : testing::isa_levels_under_test()) {
    auto backend = kernels::make_cpu_backend(pool, isa);
    std::vector<float> stored(T * N);
    backend->matmul(x.data(), T, w, stored.data());
    const auto prepared = backend->prepare_weight(w);
    if (std::string_view(isa) == "avx2") {  // left in the stored layout (cpu_backend.cc says why)
      EXPECT_EQ(prepared, nullptr);
      continue;
    }
    ASSERT_NE(prepared, nullptr) << isa;
    EXPECT_GE(prepared->bytes(), wq.size());
    std::vector<std::byte> saved = wq;
    std::fill(wq.begin(), wq.end(), std::byte{0x7f});  // the stored copy is gone
    for (const int64_t t : {T, int64_t{2}, int64_t{1}}) {
      std::vector<float> got(t * N, NAN);
      backend->matmul(x.data(), t, w, prepared.get(), got.data());
      for (int64_t i = 0; i < t * N; ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-4f * (1 + std::fabs(want[i])))
            << isa << " tokens " << t << " output " << i;
        ASSERT_TRUE(same_as_decode(got[i], stored[i]))
            << isa << " tokens " << t << " output " << i << ": differs from the stored layout";
      }
    }
    wq = saved;
    // Rows longer than 4096 columns stay in the stored layout (cpu_backend.cc says why).
    EXPECT_EQ(backend->prepare_weight(WeightView{wq.data(), DType::Q8_0, 2, 8192}), nullptr);
  }
}

// The AVX2 level's prefill GEMMs (token tiles on packed K-quant rows, Q6_K rows packed on the
// fly, Q8_0 row x token tiles) against its decode bit for bit and the reference within 1e-4: 100
// tokens at two widths cross the L2 token panels and end on partial tiles, the row range starts
// and ends inside a 16-row group, token counts from the small-batch paths' thresholds up, and
// nothing outside the range may be written.
TEST(Quant, Avx2PrefillGemmsEqualDecodeOverPanelsTilesAndRowRanges) {
  const auto levels = kernels::cpu_isa_levels();
  if (std::find(levels.begin(), levels.end(), "avx2") == levels.end())
    GTEST_SKIP() << "this CPU has no AVX2";
  const auto& isa = kernels::isa_kernels("avx2");
  std::mt19937 rng(11);
  for (const DType type : {DType::Q4_K, DType::Q6_K, DType::Q8_0})
    for (const int64_t K : {int64_t{12288}, int64_t{2816}})
      for (const int64_t T : {int64_t{100}, int64_t{8}, int64_t{7}, int64_t{3}}) {
        if (T < 100 && K == 12288) continue;
        const int64_t N = 45, row_begin = 5, row_end = 42;  // 37 rows: odd
        const auto wf = activations(N * K, rng);
        const size_t rb = row_size(type, K);
        std::vector<std::byte> wq(rb * N);
        for (int64_t r = 0; r < N; ++r)
          quant::quantize_row(type, wf.data() + r * K, wq.data() + r * rb, K);
        const WeightView w{wq.data(), type, N, K};
        const auto x = activations(T * K, rng);
        std::vector<float> want(T * N);
        kernels::ref::matmul(x.data(), T, w, want.data());
        const size_t row_bytes = kernels::ref::quantized_activation_bytes(type, K);
        std::vector<std::byte> xq(row_bytes * T);
        for (int64_t i = 0; i < T; ++i)
          kernels::ref::quantize_activations(type, x.data() + i * K, K, xq.data() + i * row_bytes);
        std::vector<float> stored(T * N, NAN), packed_out(T * N, NAN), decode(N, NAN);
        isa.quant_matmul_rows(xq.data(), row_bytes, T, w, row_begin, row_end, stored.data());
        std::unique_ptr<kernels::PackedKQuant> pk;
        std::unique_ptr<kernels::PackedQ8_0> p8;
        if (type == DType::Q8_0) {
          p8 = std::make_unique<kernels::PackedQ8_0>(w);
          p8->pack_groups(w, 0, p8->groups());
          isa.packed_q8_0_matmul_rows(xq.data(), row_bytes, T, *p8, row_begin, row_end,
                                      packed_out.data());
        } else {
          pk = std::make_unique<kernels::PackedKQuant>(w);
          pk->pack_groups(w, 0, pk->groups());
          isa.packed_matmul_rows(xq.data(), row_bytes, T, *pk, row_begin, row_end,
                                 packed_out.data());
        }
        for (int64_t i = 0; i < T; ++i) {
          isa.quant_matmul_rows(xq.data() + i * row_bytes, row_bytes, 1, w, row_begin, row_end,
                                decode.data());
          for (int64_t n = 0; n < N; ++n) {
            const float got[2] = {stored[i * N + n], packed_out[i * N + n]};
            for (int which = 0; which < 2; ++which) {
              const char* layout = which ? "packed" : "stored";
              if (n < row_begin || n >= row_end) {
                ASSERT_TRUE(std::isnan(got[which]))
                    << layout << " wrote row " << n << " token " << i;
                continue;
              }
              ASSERT_NEAR(got[which], want[i * N + n], 1e-4f * (1 + std::fabs(want[i * N + n])))
                  << layout << " " << dtype_name(type) << " cols " << K << " tokens " << T
                  << " token " << i << " row " << n;
              ASSERT_TRUE(same_as_decode(got[which], decode[n]))
                  << got[which] << " vs " << decode[n] << " " << layout << " " << dtype_name(type)
                  << " cols " << K << " tokens " << T << " token " << i << " row " << n;
            }
          }
        }
      }
}

// A batched decode step or a speculative verify multiplies a few tokens, each of which must get
// exactly the numbers a decode step of its own would (then verified tokens equal plain decoding).
// Every token count from 1 to 17 (the small-batch path from 2 tokens, the 6-token tiles and their
// remainders), Q4_K and Q6_K in the stored layout (Q6_K rows packed on the fly) and packed at
// load, row counts that leave the last 16-row group partial and ranges off the group bounds:
// each level equals its own decode and the scalar level bit for bit and the reference within
// 1e-4, and writes nothing outside its range.
TEST(Quant, SmallBatchesEqualDecodeAtEveryTokenCount) {
  struct Shape {
    int64_t rows, cols, row_begin, row_end;
  };
  std::mt19937 rng(12);
  for (const DType type : {DType::Q4_K, DType::Q6_K})
    for (const Shape& sh : {Shape{37, 768, 3, 35}, Shape{21, 12288, 0, 21}, Shape{5, 256, 1, 4}}) {
      const int64_t K = sh.cols, N = sh.rows, T = 17;
      const auto wf = activations(N * K, rng);
      const size_t rb = row_size(type, K);
      std::vector<std::byte> wq(rb * N);
      for (int64_t r = 0; r < N; ++r)
        quant::quantize_row(type, wf.data() + r * K, wq.data() + r * rb, K);
      const WeightView w{wq.data(), type, N, K};
      kernels::PackedKQuant packed(w);
      packed.pack_groups(w, 0, packed.groups());
      const auto x = activations(T * K, rng);
      std::vector<float> want(T * N);
      kernels::ref::matmul(x.data(), T, w, want.data());
      const size_t row_bytes = kernels::ref::quantized_activation_bytes(type, K);
      std::vector<std::byte> xq(row_bytes * T);
      for (int64_t i = 0; i < T; ++i)
        kernels::ref::quantize_activations(type, x.data() + i * K, K, xq.data() + i * row_bytes);
      std::vector<float> scalar[2];  // [layout]: the first level's (scalar) outputs, T tokens
      for (const auto* isa : testing::kernels_under_test())
        for (int layout = 0; layout < 2; ++layout) {
          const char* name = layout ? "packed" : "stored";
          auto run = [&](const std::byte* act, int64_t n, float* y) {
            if (layout)
              isa->packed_matmul_rows(act, row_bytes, n, packed, sh.row_begin, sh.row_end, y);
            else
              isa->quant_matmul_rows(act, row_bytes, n, w, sh.row_begin, sh.row_end, y);
          };
          std::vector<float> decode(T * N, NAN);
          for (int64_t i = 0; i < T; ++i) run(xq.data() + i * row_bytes, 1, decode.data() + i * N);
          for (int64_t n = 1; n <= T; ++n) {
            std::vector<float> got(n * N, NAN);
            run(xq.data(), n, got.data());
            for (int64_t i = 0; i < n * N; ++i) {
              const int64_t row = i % N;
              if (row < sh.row_begin || row >= sh.row_end) {
                ASSERT_TRUE(std::isnan(got[i])) << isa->name << " " << name << " wrote row " << row;
                continue;
              }
              ASSERT_NEAR(got[i], want[i], 1e-4f * (1 + std::fabs(want[i])))
                  << isa->name << " " << name << " " << dtype_name(type) << " cols " << K
                  << " tokens " << n << " output " << i;
              ASSERT_TRUE(same_as_decode(got[i], decode[i]))
                  << got[i] << " vs " << decode[i] << " " << isa->name << " " << name << " "
                  << dtype_name(type) << " cols " << K << " tokens " << n << " token " << i / N
                  << " row " << row << ": differs from its own decode step";
              if (n == T && !scalar[layout].empty()) {
                ASSERT_TRUE(same_as_decode(got[i], scalar[layout][i]))
                    << got[i] << " vs " << scalar[layout][i] << " " << isa->name << " " << name
                    << " " << dtype_name(type) << " output " << i << ": differs from scalar";
              }
            }
            if (n == T && scalar[layout].empty()) scalar[layout] = got;
          }
        }
    }
}

// The same through the CPU backend on 3 threads (row ranges split over them in 16-row groups),
// as a model runs it: Q4_K prepared (packed) at load, Q6_K stored; each of 1..9 tokens equals
// that token's own one-token matmul bit for bit.
TEST(Quant, CpuBackendSmallBatchesEqualDecode) {
  std::mt19937 rng(13);
  ThreadPool pool(3);
  for (const DType type : {DType::Q4_K, DType::Q6_K}) {
    const int64_t K = 1024, N = 83, T = 9;
    const auto wf = activations(N * K, rng);
    const size_t rb = row_size(type, K);
    std::vector<std::byte> wq(rb * N);
    for (int64_t r = 0; r < N; ++r)
      quant::quantize_row(type, wf.data() + r * K, wq.data() + r * rb, K);
    const WeightView w{wq.data(), type, N, K};
    const auto x = activations(T * K, rng);
    for (const std::string_view isa : testing::isa_levels_under_test()) {
      auto backend = kernels::make_cpu_backend(pool, isa);
      const auto prepared = backend->prepare_weight(w);
      std::vector<float> decode(T * N);
      for (int64_t i = 0; i < T; ++i)
        backend->matmul(x.data() + i * K, 1, w, prepared.get(), decode.data() + i * N);
      for (int64_t n = 2; n <= T; ++n) {
        std::vector<float> got(n * N);
        backend->matmul(x.data(), n, w, prepared.get(), got.data());
        for (int64_t i = 0; i < n * N; ++i)
          ASSERT_TRUE(same_as_decode(got[i], decode[i]))
              << got[i] << " vs " << decode[i] << " " << isa << " " << dtype_name(type)
              << " tokens " << n << " output " << i;
      }
    }
  }
}

}  // namespace
}  // namespace junction
