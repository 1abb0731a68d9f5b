// Every fast kernel against the scalar reference in kernels/ref, for every instruction-set level
// this CPU runs, over odd sizes (0..several vector widths), every weight dtype and misaligned
// weight pointers. Bounds are relative to the magnitude of the terms summed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/thread_pool.h"
#include "kernels/cpu/isa_kernels.h"
#include "kernels/ops.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/ref/ref_ops.h"
#include "tests/support/isa_levels.h"

namespace junction::kernels {
namespace {

std::vector<float> random_floats(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

// A weight matrix stored in `dtype`, starting `misalign` bytes into its buffer.
struct StoredMatrix {
  std::vector<std::byte> buffer;
  WeightView view;
};

StoredMatrix store(const std::vector<float>& values, int64_t rows, int64_t cols, DType dtype,
                   size_t misalign) {
  StoredMatrix m;
  m.buffer.resize(misalign + values.size() * dtype_size(dtype));
  std::byte* p = m.buffer.data() + misalign;
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::F32) {
      std::memcpy(p + 4 * i, &values[i], 4);
    } else {
      const uint16_t h = dtype == DType::F16 ? f32_to_f16(values[i]) : f32_to_bf16(values[i]);
      std::memcpy(p + 2 * i, &h, 2);
    }
  }
  m.view = WeightView{p, dtype, rows, cols};
  return m;
}

TEST(Kernels, MatmulMatchesReferenceOverOddShapesDtypesAndAlignments) {
  std::mt19937 rng(1);
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
      for (int64_t K : {1, 3, 8, 15, 16, 17, 31, 33, 64, 100, 257}) {
        for (int64_t N : {1, 4, 5, 8, 9, 13, 17}) {
          for (int64_t T : {1, 2, 3, 5, 7, 66}) {
            const size_t misalign = static_cast<size_t>((K + N + T) % 3);
            const auto w = store(random_floats(N * K, rng), N, K, dtype, misalign);
            const auto x = random_floats(T * K, rng);
            std::vector<float> want(T * N), got(T * N, NAN);
            ref::matmul(x.data(), T, w.view, want.data());
            isa->matmul_rows(x.data(), T, w.view, 0, N, got.data());
            for (int64_t i = 0; i < T * N; ++i) {
              // |error| of a K-term float32 sum is below K * eps * sum |terms|; sum |terms| ~ K.
              const double bound = 1e-6 * K + 1e-6;
              ASSERT_NEAR(got[i], want[i], bound)
                  << isa->name << " " << dtype_name(dtype) << " K=" << K << " N=" << N << " T=" << T
                  << " i=" << i;
            }
          }
        }
      }
    }
  }
}

TEST(Kernels, MatmulRowRangesTouchOnlyTheirRows) {
  std::mt19937 rng(2);
  const int64_t K = 40, N = 37, T = 3;
  const auto w = store(random_floats(N * K, rng), N, K, DType::BF16, 0);
  const auto x = random_floats(T * K, rng);
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    std::vector<float> y(T * N, -7.0f);
    isa->matmul_rows(x.data(), T, w.view, 10, 27, y.data());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t n = 0; n < N; ++n)
        if (n < 10 || n >= 27) {
          EXPECT_EQ(y[t * N + n], -7.0f) << isa->name;
        }
  }
}

TEST(Kernels, ConvertRowIsExact) {
  std::mt19937 rng(3);
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
      for (int64_t n : {0, 1, 7, 16, 33, 100}) {
        const auto m = store(random_floats(n, rng), 1, n, dtype, 1);
        std::vector<float> got(n);
        isa->convert_row(m.view.data, dtype, n, got.data());
        for (int64_t i = 0; i < n; ++i) EXPECT_EQ(got[i], ref::load_element(m.view.data, dtype, i));
      }
    }
  }
}

TEST(Kernels, RmsNormMatchesReference) {
  std::mt19937 rng(4);
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    for (int64_t dim : {1, 5, 16, 31, 64, 129}) {
      const int64_t rows = 3;
      const auto x = random_floats(rows * dim, rng, 3.0f);
      const auto weight = random_floats(dim, rng);
      std::vector<float> want(rows * dim), got(rows * dim);
      ref::rms_norm(x.data(), rows, dim, weight.data(), 1e-6f, want.data());
      isa->rms_norm(x.data(), rows, dim, weight.data(), 1e-6f, got.data());
      for (int64_t i = 0; i < rows * dim; ++i)
        ASSERT_NEAR(got[i], want[i], 1e-5f * (1 + std::fabs(want[i])))
            << isa->name << " dim " << dim;
    }
  }
}

TEST(Kernels, ActivationsMatchReference) {
  std::mt19937 rng(5);
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    for (int64_t n : {0, 1, 7, 16, 17, 100}) {
      auto gate = random_floats(n, rng, 4.0f);
      gate.push_back(-100.0f);  // far tails: exp underflow and overflow must stay finite
      gate.push_back(100.0f);
      const auto up = random_floats(gate.size(), rng);
      auto want_silu = gate, got_silu = gate, want_gelu = gate, got_gelu = gate;
      ref::silu_mul(want_silu.data(), up.data(), gate.size());
      isa->silu_mul(got_silu.data(), up.data(), gate.size());
      ref::gelu_tanh_mul(want_gelu.data(), up.data(), gate.size());
      isa->gelu_tanh_mul(got_gelu.data(), up.data(), gate.size());
      for (size_t i = 0; i < gate.size(); ++i) {
        ASSERT_NEAR(got_silu[i], want_silu[i], 2e-6f * (1 + std::fabs(want_silu[i]))) << isa->name;
        ASSERT_NEAR(got_gelu[i], want_gelu[i], 2e-6f * (1 + std::fabs(want_gelu[i]))) << isa->name;
      }
    }
  }
}

struct AttentionCase {
  int64_t n_tokens, pos0, n_heads, n_kv_heads, head_dim, window;
};

// The case's shape over a cache of `capacity` rows per kv head, with F32 rows.
AttentionShape attention_shape(const AttentionCase& c, int64_t capacity) {
  AttentionShape s;
  s.n_tokens = c.n_tokens;
  s.pos0 = c.pos0;
  s.n_heads = c.n_heads;
  s.n_kv_heads = c.n_kv_heads;
  s.head_dim = c.head_dim;
  s.sliding_window = c.window;
  s.head_rows = capacity;
  s.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  return s;
}

TEST(Kernels, AttentionMatchesReference) {
  std::mt19937 rng(6);
  const AttentionCase cases[] = {
      {1, 0, 1, 1, 16, 0},
      {1, 9, 4, 1, 32, 0},
      {5, 0, 4, 2, 8, 0},
      {3, 70, 6, 2, 12, 0},
      {17, 0, 2, 2, 64, 0},
      {9, 130, 8, 2, 128, 0},
      {33, 40, 4, 4, 20, 0},
      {12, 3, 4, 2, 16, 5},
      {1, 200, 2, 1, 32, 64},
      {70, 0, 3, 1, 7, 0},
      // head_dim 64 / 128 take the register-blocked paths on AVX-512: several key blocks,
      // partial 16-key groups at both ends of a sliding window and at the cache's end.
      {40, 100, 4, 2, 128, 0},
      {20, 150, 2, 1, 128, 37},
      {12, 70, 4, 2, 64, 20},
      {3, 61, 2, 2, 64, 0},
  };
  ThreadPool pool(2);
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    auto backend = make_cpu_backend(pool, isa->name);
    for (const auto& c : cases) {
      const int64_t capacity = c.pos0 + c.n_tokens + 3;
      AttentionShape s = attention_shape(c, capacity);
      const auto q = random_floats(c.n_tokens * c.n_heads * c.head_dim, rng, 2.0f);
      const auto k = random_floats(c.n_kv_heads * capacity * c.head_dim, rng, 2.0f);
      const auto v = random_floats(c.n_kv_heads * capacity * c.head_dim, rng);
      std::vector<float> want(c.n_tokens * c.n_heads * c.head_dim), got(want.size(), NAN);
      ref::attention(q.data(), k.data(), v.data(), s, want.data());
      backend->attention(q.data(), k.data(), v.data(), s, got.data());
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 2e-5f)
            << isa->name << " case T=" << c.n_tokens << " pos0=" << c.pos0 << " heads=" << c.n_heads
            << "/" << c.n_kv_heads << " d=" << c.head_dim << " window=" << c.window;

      // The same keys and values scattered over a paged pool in shuffled block order (with
      // unused blocks between) must give the contiguous reference's answer.
      for (int shift : {0, 2, 4}) {
        const int64_t bs = int64_t{1} << shift;
        const int64_t n_used = (capacity + bs - 1) / bs, n_pool = 2 * n_used + 1;
        std::vector<int32_t> table(n_pool);
        std::iota(table.begin(), table.end(), 0);
        std::shuffle(table.begin(), table.end(), rng);
        table.resize(n_used);
        AttentionShape p = s;
        p.block_table = table.data();
        p.block_shift = shift;
        p.head_rows = bs;
        p.block_rows = c.n_kv_heads * bs;
        std::vector<float> kp(n_pool * p.block_rows * c.head_dim, NAN), vp(kp.size(), NAN);
        for (int64_t h = 0; h < c.n_kv_heads; ++h)
          for (int64_t pos = 0; pos < capacity; ++pos)
            for (int64_t d = 0; d < c.head_dim; ++d) {
              const size_t dst =
                  (table[pos / bs] * p.block_rows + h * p.head_rows + pos % bs) * c.head_dim + d;
              kp[dst] = k[(h * capacity + pos) * c.head_dim + d];
              vp[dst] = v[(h * capacity + pos) * c.head_dim + d];
            }
        std::vector<float> paged(want.size(), NAN), paged_ref(want.size(), NAN);
        backend->attention(q.data(), kp.data(), vp.data(), p, paged.data());
        ref::attention(q.data(), kp.data(), vp.data(), p, paged_ref.data());
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_NEAR(paged[i], want[i], 2e-5f) << isa->name << " paged, block size " << bs;
          ASSERT_NEAR(paged_ref[i], want[i], 1e-6f) << "reference, paged, block size " << bs;
        }
      }
    }
  }
}

// Rows of floats ([n_rows, n] each) as a cache of `type` writes them (ref::store_kv_row).
std::vector<std::byte> cache_rows(const std::vector<float>& x, int64_t n, DType type) {
  const size_t row_bytes = kv_cache_row_bytes(type, n);
  const int64_t n_rows = static_cast<int64_t>(x.size()) / n;
  std::vector<std::byte> out(n_rows * row_bytes);
  for (int64_t r = 0; r < n_rows; ++r)
    ref::store_kv_row(x.data() + r * n, n, type, out.data() + r * row_bytes);
  return out;
}

// The floats a cache of `type` holds for x (what attention over it must compute with).
std::vector<float> cached_values(const std::vector<float>& x, int64_t n, DType type) {
  const auto bytes = cache_rows(x, n, type);
  std::vector<float> out(x.size());
  const size_t row_bytes = kv_cache_row_bytes(type, n);
  for (size_t r = 0; r < x.size() / n; ++r)
    quant::dequantize_row(type, bytes.data() + r * row_bytes, out.data() + r * n, n);
  return out;
}

TEST(Kernels, StoreKvRowMatchesReferenceByteForByte) {
  std::mt19937 rng(9);
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    for (DType type : {DType::F32, DType::F16, DType::BF16, DType::Q8_0}) {
      for (int64_t n : {1, 7, 32, 33, 64, 96, 128, 160, 257}) {
        if (type == DType::Q8_0 && n % 32 != 0) continue;
        auto x = random_floats(n, rng, 3.0f);
        x[0] = 0.0f;  // a zero and a far value in the first block
        if (n > 2) x[2] = 1e4f;
        std::vector<std::byte> want(kv_cache_row_bytes(type, n)), got(want.size(), std::byte{0x55});
        ref::store_kv_row(x.data(), n, type, want.data());
        isa->store_kv_row(x.data(), n, type, got.data());
        EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size()), 0)
            << isa->name << " " << dtype_name(type) << " n=" << n;
      }
    }
  }
}

// The cache rounds what is stored to its type, by at most: F16 2^-11 and BF16 2^-8 of the value,
// Q8_0 half a step d = max|x| / 127 of its block plus the f16 rounding of d (2^-11 d) times the
// largest code, 127.
TEST(Kernels, StoredKvRowsRoundTripWithinTheTypesPrecision) {
  std::mt19937 rng(10);
  const int64_t n = 128;
  const auto x = random_floats(4 * n, rng, 2.0f);
  for (DType type : {DType::F32, DType::F16, DType::BF16, DType::Q8_0}) {
    const auto back = cached_values(x, n, type);
    for (size_t i = 0; i < x.size(); ++i) {
      float amax = 0;
      for (size_t j = i / 32 * 32; j < i / 32 * 32 + 32; ++j)
        amax = std::max(amax, std::fabs(x[j]));
      const double bound = type == DType::F32    ? 0.0
                           : type == DType::F16  ? std::ldexp(std::fabs(x[i]), -11)
                           : type == DType::BF16 ? std::ldexp(std::fabs(x[i]), -8)
                                                 : 0.5 * amax / 127 + std::ldexp(amax, -11);
      ASSERT_LE(std::fabs(back[i] - x[i]), bound) << dtype_name(type) << " i=" << i;
    }
  }
}

// Attention over F16, BF16 and Q8_0 caches (keys and values of different types too), contiguous
// and paged: every level against the reference, which computes over the floats the rows hold;
// and that reference equals itself over an F32 cache holding those floats.
TEST(Kernels, AttentionOverEachCacheTypeMatchesReference) {
  std::mt19937 rng(11);
  struct TypedCase {
    AttentionCase shape;
    DType k, v;
  };
  const TypedCase cases[] = {
      {{1, 9, 4, 1, 32, 0}, DType::F16, DType::F16},
      {{5, 0, 4, 2, 20, 0}, DType::BF16, DType::BF16},
      {{3, 70, 6, 2, 7, 0}, DType::F16, DType::BF16},
      {{9, 130, 8, 2, 128, 0}, DType::Q8_0, DType::Q8_0},
      {{1, 200, 4, 2, 128, 0}, DType::F16, DType::F16},
      {{1, 200, 4, 2, 128, 0}, DType::Q8_0, DType::Q8_0},
      {{12, 70, 4, 2, 64, 20}, DType::Q8_0, DType::F16},
      {{17, 0, 2, 2, 64, 0}, DType::BF16, DType::Q8_0},
      {{4, 66, 2, 1, 96, 0}, DType::Q8_0, DType::Q8_0},
      {{2, 40, 4, 4, 32, 0}, DType::F32, DType::Q8_0},
  };
  ThreadPool pool(2);
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    auto backend = make_cpu_backend(pool, isa->name);
    for (const auto& tc : cases) {
      const AttentionCase& c = tc.shape;
      const int64_t capacity = c.pos0 + c.n_tokens + 3;
      AttentionShape s = attention_shape(c, capacity);
      s.k_type = tc.k;
      s.v_type = tc.v;
      const auto q = random_floats(c.n_tokens * c.n_heads * c.head_dim, rng, 2.0f);
      const auto k = random_floats(c.n_kv_heads * capacity * c.head_dim, rng, 2.0f);
      const auto v = random_floats(c.n_kv_heads * capacity * c.head_dim, rng);
      const auto kc = cache_rows(k, c.head_dim, tc.k), vc = cache_rows(v, c.head_dim, tc.v);
      const std::string label =
          std::string(isa->name) + " k " + std::string(dtype_name(tc.k)) + " v " +
          std::string(dtype_name(tc.v)) + " T=" + std::to_string(c.n_tokens) +
          " pos0=" + std::to_string(c.pos0) + " d=" + std::to_string(c.head_dim);
      std::vector<float> want(q.size()), got(q.size(), NAN), as_f32(q.size(), NAN);
      ref::attention(q.data(), kc.data(), vc.data(), s, want.data());
      backend->attention(q.data(), kc.data(), vc.data(), s, got.data());
      for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 2e-5f) << label;
      AttentionShape f = s;
      f.k_type = f.v_type = DType::F32;
      const auto kf = cached_values(k, c.head_dim, tc.k), vf = cached_values(v, c.head_dim, tc.v);
      ref::attention(q.data(), kf.data(), vf.data(), f, as_f32.data());
      ASSERT_EQ(std::memcmp(as_f32.data(), want.data(), want.size() * 4), 0) << label;

      // Paged: blocks of 4 positions in reverse order with a spare block first.
      const int64_t bs = 4, n_used = (capacity + bs - 1) / bs;
      std::vector<int32_t> table(n_used);
      for (int64_t b = 0; b < n_used; ++b) table[b] = static_cast<int32_t>(n_used - b);
      AttentionShape p = s;
      p.block_table = table.data();
      p.block_shift = 2;
      p.head_rows = bs;
      p.block_rows = c.n_kv_heads * bs;
      const size_t kb = kv_cache_row_bytes(tc.k, c.head_dim),
                   vb = kv_cache_row_bytes(tc.v, c.head_dim);
      std::vector<std::byte> kp((n_used + 1) * p.block_rows * kb, std::byte{0xff}),
          vp((n_used + 1) * p.block_rows * vb, std::byte{0xff});
      for (int64_t h = 0; h < c.n_kv_heads; ++h)
        for (int64_t pos = 0; pos < capacity; ++pos) {
          const int64_t dst = p.row_index(h, pos), src = h * capacity + pos;
          std::memcpy(kp.data() + dst * kb, kc.data() + src * kb, kb);
          std::memcpy(vp.data() + dst * vb, vc.data() + src * vb, vb);
        }
      std::vector<float> paged(q.size(), NAN);
      backend->attention(q.data(), kp.data(), vp.data(), p, paged.data());
      ASSERT_EQ(std::memcmp(paged.data(), got.data(), got.size() * 4), 0) << label << " paged";
    }
  }
}

// Every level gives the lowest level's numbers bit for bit, not just the reference's within a
// bound: all levels add in the AVX-512 level's order (16 lanes, the same reduction trees, the same
// exp), because a last-bit difference in a norm, an attention score or a softmax sum flips int8
// roundings of the next quantized matmul's activations (see simd_avx2-inl.h). Odd sizes cross the
// 16-lane tails; head_dim 64 and 128 take the register-blocked attention paths.
TEST(Kernels, EveryLevelGivesTheLowestLevelsNumbersBitForBit) {
  std::mt19937 rng(8);
  const auto isas = testing::kernels_under_test();
  ThreadPool pool(2);
  auto same = [](const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
  };
  auto on_every_level = [&](const char* what, auto&& run) {
    std::vector<float> lowest;
    for (const IsaKernels* isa : isas) {
      const std::vector<float> got = run(*isa);
      if (lowest.empty()) {
        lowest = got;
        continue;
      }
      ASSERT_TRUE(same(got, lowest))
          << what << ": " << isa->name << " differs from " << isas[0]->name;
    }
  };
  for (DType dtype : {DType::F32, DType::F16, DType::BF16})
    // K = 1100: more than two of matmul_tile_halves' 512-float chunks, and a tail.
    for (int64_t K : {1, 15, 16, 17, 64, 100, 257, 1100})
      for (int64_t T : {1, 2, 5, 66}) {
        const int64_t N = 9;
        const auto w = store(random_floats(N * K, rng), N, K, dtype, 1);
        const auto x = random_floats(T * K, rng);
        const std::string what = "matmul " + std::string(dtype_name(dtype)) +
                                 " K=" + std::to_string(K) + " T=" + std::to_string(T);
        on_every_level(what.c_str(), [&](const IsaKernels& isa) {
          std::vector<float> y(T * N);
          isa.matmul_rows(x.data(), T, w.view, 0, N, y.data());
          return y;
        });
      }
  for (int64_t dim : {5, 16, 31, 129, 1024}) {
    const auto x = random_floats(3 * dim, rng, 3.0f);
    const auto weight = random_floats(dim, rng);
    on_every_level("rms_norm", [&](const IsaKernels& isa) {
      std::vector<float> y(3 * dim);
      isa.rms_norm(x.data(), 3, dim, weight.data(), 1e-6f, y.data());
      return y;
    });
  }
  for (int64_t n : {7, 16, 17, 100}) {
    const auto gate = random_floats(n, rng, 4.0f), up = random_floats(n, rng);
    on_every_level("silu_mul", [&](const IsaKernels& isa) {
      auto g = gate;
      isa.silu_mul(g.data(), up.data(), n);
      return g;
    });
    on_every_level("gelu_tanh_mul", [&](const IsaKernels& isa) {
      auto g = gate;
      isa.gelu_tanh_mul(g.data(), up.data(), n);
      return g;
    });
  }
  for (const AttentionCase& c :
       {AttentionCase{9, 130, 8, 2, 128, 0}, AttentionCase{12, 70, 4, 2, 64, 20},
        AttentionCase{1, 200, 4, 2, 128, 0}, AttentionCase{33, 40, 4, 4, 20, 0}}) {
    const int64_t capacity = c.pos0 + c.n_tokens;
    AttentionShape s = attention_shape(c, capacity);
    const auto q = random_floats(c.n_tokens * c.n_heads * c.head_dim, rng, 2.0f);
    const auto k = random_floats(c.n_kv_heads * capacity * c.head_dim, rng, 2.0f);
    const auto v = random_floats(c.n_kv_heads * capacity * c.head_dim, rng);
    const std::string what = "attention d=" + std::to_string(c.head_dim);
    on_every_level(what.c_str(), [&](const IsaKernels& isa) {
      std::vector<float> out(q.size());
      make_cpu_backend(pool, isa.name)->attention(q.data(), k.data(), v.data(), s, out.data());
      return out;
    });
    // The same over F16, BF16 and Q8_0 caches (Q8_0 needs head_dim a multiple of 32).
    for (DType type : {DType::F16, DType::BF16, DType::Q8_0}) {
      if (type == DType::Q8_0 && c.head_dim % 32 != 0) continue;
      AttentionShape t = s;
      t.k_type = t.v_type = type;
      const auto kc = cache_rows(k, c.head_dim, type), vc = cache_rows(v, c.head_dim, type);
      const std::string typed = what + " " + std::string(dtype_name(type)) + " cache";
      on_every_level(typed.c_str(), [&](const IsaKernels& isa) {
        std::vector<float> out(q.size());
        make_cpu_backend(pool, isa.name)->attention(q.data(), kc.data(), vc.data(), t, out.data());
        return out;
      });
    }
  }
}

// Batch invariance at the kernel level: a token's numbers from a call of T tokens are its own
// one-token call's, bit for bit, at every level. A sequence decoded alone, decoded in a batch
// with others, or recomputed as one prefill after a preemption then gets the same logits
// (tests/golden/batch_invariance_test.cc checks the whole forward pass).
TEST(Kernels, EachTokensNumbersAreItsOwnOneTokenCallsBitForBit) {
  std::mt19937 rng(9);
  auto same = [](const float* a, const float* b, int64_t n) {
    return std::memcmp(a, b, static_cast<size_t>(n) * sizeof(float)) == 0;
  };
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    for (DType dtype : {DType::F32, DType::F16, DType::BF16})
      for (int64_t K : {15, 64, 100, 257, 1100})
        for (int64_t T : {2, 3, 5, 17, 66}) {
          const int64_t N = 21;
          const auto w = store(random_floats(N * K, rng), N, K, dtype, 1);
          const auto x = random_floats(T * K, rng);
          std::vector<float> all(T * N), one(N);
          isa->matmul_rows(x.data(), T, w.view, 0, N, all.data());
          for (int64_t t = 0; t < T; ++t) {
            isa->matmul_rows(x.data() + t * K, 1, w.view, 0, N, one.data());
            ASSERT_TRUE(same(all.data() + t * N, one.data(), N))
                << isa->name << " matmul " << dtype_name(dtype) << " K=" << K << " T=" << T
                << " token " << t;
          }
        }
    // An elementwise gate over T rows of an intermediate size that is not a multiple of 16: each
    // row as the call's tail or in the middle of it.
    for (int64_t I : {7, 40, 100}) {
      const int64_t T = 5;
      const auto gate = random_floats(T * I, rng, 4.0f), up = random_floats(T * I, rng);
      for (auto op : {isa->silu_mul, isa->gelu_tanh_mul}) {
        auto all = gate;
        op(all.data(), up.data(), T * I);
        for (int64_t t = 0; t < T; ++t) {
          std::vector<float> row(gate.begin() + t * I, gate.begin() + (t + 1) * I);
          op(row.data(), up.data() + t * I, I);
          ASSERT_TRUE(same(all.data() + t * I, row.data(), I)) << isa->name << " I=" << I;
        }
      }
    }
  }
  // Attention: n tokens in one call against each token's own decode step (its key range ends
  // at its position), with sliding windows whose first key is not a multiple of the key block
  // and which span two key blocks (within one block a shift of the keys' lanes is exact: the
  // masked keys add zeros and the lane reduction is symmetric under rotation).
  ThreadPool pool(2);
  for (const IsaKernels* isa : testing::kernels_under_test()) {
    auto backend = make_cpu_backend(pool, isa->name);
    for (const AttentionCase& c :
         {AttentionCase{40, 150, 2, 2, 64, 100}, AttentionCase{30, 100, 1, 1, 32, 60},
          AttentionCase{20, 150, 2, 1, 128, 37}, AttentionCase{12, 70, 4, 2, 64, 20},
          AttentionCase{40, 100, 4, 2, 128, 0}, AttentionCase{33, 40, 4, 4, 20, 0},
          AttentionCase{70, 0, 3, 1, 32, 50}}) {
      const int64_t capacity = c.pos0 + c.n_tokens;
      AttentionShape s = attention_shape(c, capacity);
      const int64_t row = c.n_heads * c.head_dim;
      // Small scores: many keys weigh alike, so a sum in another order rounds differently.
      const auto q = random_floats(c.n_tokens * row, rng, 0.2f);
      const auto k = random_floats(c.n_kv_heads * capacity * c.head_dim, rng, 2.0f);
      const auto v = random_floats(c.n_kv_heads * capacity * c.head_dim, rng);
      std::vector<float> all(q.size()), one(row);
      backend->attention(q.data(), k.data(), v.data(), s, all.data());
      for (int64_t t = 0; t < c.n_tokens; ++t) {
        AttentionShape d = s;
        d.n_tokens = 1;
        d.pos0 = c.pos0 + t;
        backend->attention(q.data() + t * row, k.data(), v.data(), d, one.data());
        ASSERT_TRUE(same(all.data() + t * row, one.data(), row))
            << isa->name << " attention T=" << c.n_tokens << " pos0=" << c.pos0
            << " d=" << c.head_dim << " window=" << c.window << " token " << t;
      }
    }
  }
}

// The threaded backend splits work; results must not depend on the thread count.
TEST(Kernels, CpuBackendMatmulIndependentOfThreads) {
  std::mt19937 rng(7);
  const int64_t K = 96, N = 301, T = 9;
  const auto w = store(random_floats(N * K, rng), N, K, DType::BF16, 0);
  const auto x = random_floats(T * K, rng);
  ThreadPool one(1), three(3);
  std::vector<float> a(T * N), b(T * N);
  make_cpu_backend(one)->matmul(x.data(), T, w.view, a.data());
  make_cpu_backend(three)->matmul(x.data(), T, w.view, b.data());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace junction::kernels
