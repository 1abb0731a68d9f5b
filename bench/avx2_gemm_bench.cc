// The AVX2 level's prefill GEMMs, previous kernel against the current one in one process, with the
// AVX-512 level's kernel beside them for reference: each shape is timed alternately, one thread,
// this thread's CPU time (not wall time, so other processes on a shared machine disturb it less),
// and ratios of medians printed. Built with the AVX2 flags and including the kernel headers, as
// kernels_avx2.cc does, so the previous kernels stay callable; the AVX-512 kernels come from the
// level's table (only where the CPU has them). Also checks that each new kernel's results equal the
// AVX2 decode kernel's (one token at a time) bit for bit.
//
//   avx2_gemm_bench [--tokens 512] [--reps 5]
#include <immintrin.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "core/tensor.h"
#include "kernels/cpu/isa_kernels.h"
#include "kernels/cpu/packed_k_quant.h"
#include "kernels/cpu/packed_q8_0.h"
#include "kernels/cpu/simd_avx2-inl.h"
#include "kernels/ops.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/ref/ref_ops.h"
#include "quantize/quantize_row.h"

namespace junction::kernels {
namespace {
// In kernels_avx2.cc's order: the quantized dots first, then the packed layouts' kernels and the
// activation quantizer, then the templates that call them.
#include "kernels/cpu/quant_dot_impl-inl.h"
// Q4_K / Q6_K on the packed layout.
#include "kernels/cpu/packed_k_quant_kernels-inl.h"
// The Q8_0 prefill GEMM (used by quant_matmul_rows and for Q8_0 packed at load).
#include "kernels/cpu/q8_0_gemm_avx2-inl.h"
// The previous Q8_0 prefill GEMM, to time against.
#include "q8_0_gemm_avx2_prev-inl.h"
// Q8_0 on the packed layout.
#include "kernels/cpu/packed_q8_0_kernels-inl.h"
// Activation quantization.
#include "kernels/cpu/quantize_activations_avx2-inl.h"
// The kernel templates.
#include "kernels/cpu/kernels_impl-inl.h"
}  // namespace
}  // namespace junction::kernels

namespace {

using namespace junction;

using bench::median;
using bench::thread_seconds;

struct Candidate {
  const char* name;
  std::function<void(float*)> run;
  std::vector<float> y = {};
  std::vector<double> seconds = {};
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"avx2_gemm_bench: previous vs current AVX2 prefill GEMMs, one thread"};
  int64_t T = 512;
  int reps = 5;
  std::string only;
  app.add_option("-p,--tokens", T);
  app.add_option("-r,--reps", reps);
  app.add_option("--only", only, "Q4_K, Q6_K, Q8_0, attention or decode");
  int64_t decode_mb = 96;
  app.add_option("--decode-mb", decode_mb);
  CLI11_PARSE(app, argc, argv);
  const bool avx512 = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");

  struct Shape {
    DType type;
    int64_t rows, cols;
  };
  const Shape shapes[] = {
      {DType::Q4_K, 1024, 1024},  {DType::Q4_K, 3072, 1024}, {DType::Q4_K, 1024, 3072},
      {DType::Q4_K, 512, 4096},   {DType::Q6_K, 1024, 3072}, {DType::Q6_K, 256, 12288},
      {DType::Q8_0, 1024, 1024},  {DType::Q8_0, 3072, 1024}, {DType::Q8_0, 1024, 3072},
      {DType::Q8_0, 512, 4096},   {DType::Q8_0, 256, 12288}, {DType::Q8_0, 4096, 4096},
      {DType::Q8_0, 12288, 4096}, {DType::Q8_0, 4096, 12288}};
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const Shape& s : shapes) {
    if (only == "decode" || only == "attention" || (!only.empty() && only != dtype_name(s.type)))
      continue;
    std::vector<float> wf(static_cast<size_t>(s.rows * s.cols)), x(static_cast<size_t>(T * s.cols));
    for (float& v : wf) v = dist(rng);
    for (float& v : x) v = dist(rng);
    const size_t row_bytes = row_size(s.type, s.cols);
    std::vector<std::byte> wq(row_bytes * s.rows);
    for (int64_t r = 0; r < s.rows; ++r) {
      if (s.type == DType::F16)
        for (int64_t c = 0; c < s.cols; ++c) {
          const uint16_t h = f32_to_f16(wf[r * s.cols + c]);
          std::memcpy(wq.data() + r * row_bytes + 2 * c, &h, 2);
        }
      else
        quant::quantize_row(s.type, wf.data() + r * s.cols, wq.data() + r * row_bytes, s.cols);
    }
    const WeightView w{wq.data(), s.type, s.rows, s.cols};
    const bool quantized = is_quantized(s.type);
    const size_t xrow = quantized ? kernels::ref::quantized_activation_bytes(s.type, s.cols) : 0;
    std::vector<std::byte> xq(xrow * T);
    for (int64_t t = 0; quantized && t < T; ++t)
      kernels::ref::quantize_activations(s.type, x.data() + t * s.cols, s.cols,
                                         xq.data() + t * xrow);
    std::unique_ptr<kernels::PackedKQuant> pk;
    if (s.type == DType::Q4_K) {
      pk = std::make_unique<kernels::PackedKQuant>(w);
      pk->pack_groups(w, 0, pk->groups());
    }
    std::unique_ptr<kernels::PackedQ8_0> p8;
    if (s.type == DType::Q8_0 && s.cols <= 4096) {
      p8 = std::make_unique<kernels::PackedQ8_0>(w);
      p8->pack_groups(w, 0, p8->groups());
    }
    const kernels::IsaKernels* k512 = avx512 ? &kernels::isa_kernels("avx512") : nullptr;
    std::vector<Candidate> c;
    const std::byte* xp = xq.data();
    // Decode on the AVX2 level, token by token: what the new kernels must equal.
    std::function<void(float*)> decode;
    switch (s.type) {
      case DType::Q4_K:
        // The previous path unpacked each row of the packed copy; unpacking the stored row is
        // the same work.
        c.push_back({"old (unpack a row, dot per token)", [&](float* y) {
                       kernels::quant_matmul_unpacked(xp, xrow, T, w, 0, s.rows, y);
                     }});
        c.push_back({"new (token tiles on packed rows)", [&](float* y) {
                       kernels::packed_matmul_rows<kernels::Avx2>(xp, xrow, T, *pk, 0, s.rows, y);
                     }});
        if (k512)
          c.push_back({"avx512 level", [&](float* y) {
                         k512->packed_matmul_rows(xp, xrow, T, *pk, 0, s.rows, y);
                       }});
        decode = [&](float* y) {
          for (int64_t t = 0; t < T; ++t)
            kernels::packed_matmul_gemv(xp + t * xrow, xrow, 1, *pk, 0, s.rows, y + t * s.rows);
        };
        break;
      case DType::Q6_K:
        c.push_back({"old (unpack a row, dot per token)", [&](float* y) {
                       kernels::quant_matmul_unpacked(xp, xrow, T, w, 0, s.rows, y);
                     }});
        c.push_back({"new (packed on the fly, token tiles)", [&](float* y) {
                       kernels::quant_matmul_rows<kernels::Avx2>(xp, xrow, T, w, 0, s.rows, y);
                     }});
        if (k512)
          c.push_back({"avx512 level",
                       [&](float* y) { k512->quant_matmul_rows(xp, xrow, T, w, 0, s.rows, y); }});
        decode = [&](float* y) {
          for (int64_t t = 0; t < T; ++t)
            for (int64_t n = 0; n < s.rows; ++n)
              y[t * s.rows + n] = kernels::vec_dot_q6_k(s.type, w.row(n), xp + t * xrow, s.cols);
        };
        break;
      case DType::Q8_0:
        c.push_back({"prev stored (previous tile GEMM)", [&](float* y) {
                       kernels::prev_quant_matmul_q8_0_avx2(xp, xrow, T, w, nullptr, 0, s.rows, y);
                     }});
        c.push_back({"new stored", [&](float* y) {
                       kernels::quant_matmul_rows<kernels::Avx2>(xp, xrow, T, w, 0, s.rows, y);
                     }});
        if (p8)
          c.push_back({"prev packed (previous tile GEMM)", [&](float* y) {
                         kernels::prev_quant_matmul_q8_0_avx2(xp, xrow, T, w, p8.get(), 0, s.rows,
                                                              y);
                       }});
        if (p8)
          c.push_back({"new packed", [&](float* y) {
                         kernels::packed_q8_0_matmul_rows(xp, xrow, T, *p8, 0, s.rows, y);
                       }});
        if (k512)
          c.push_back({"avx512 level",
                       [&](float* y) { k512->quant_matmul_rows(xp, xrow, T, w, 0, s.rows, y); }});
        decode = [&](float* y) {
          for (int64_t t = 0; t < T; ++t)
            for (int64_t n = 0; n < s.rows; ++n)
              y[t * s.rows + n] = kernels::vec_dot_q8_0(s.type, w.row(n), xp + t * xrow, s.cols);
        };
        break;
      default:  // F16 prefill: see float_kernels_bench
        break;
    }
    for (auto& cand : c) cand.y.resize(static_cast<size_t>(T * s.rows));
    for (int r = 0; r < reps; ++r)
      for (auto& cand : c) {
        const double t0 = thread_seconds();
        cand.run(cand.y.data());
        cand.seconds.push_back(thread_seconds() - t0);
      }
    std::vector<float> y_dec(static_cast<size_t>(T * s.rows));
    if (decode) decode(y_dec.data());
    const double gmac = double(T) * s.rows * s.cols / 1e9;
    std::printf("%-5s %6lld x %6lld, %lld tokens\n", std::string(dtype_name(s.type)).c_str(),
                (long long)s.rows, (long long)s.cols, (long long)T);
    for (auto& cand : c) {
      double max_rel = 0;
      for (size_t i = 0; decode && i < y_dec.size(); ++i)
        max_rel =
            std::max(max_rel, std::fabs(double{cand.y[i]} - y_dec[i]) / (1 + std::fabs(y_dec[i])));
      char same[64] = "";
      if (decode)
        std::snprintf(same, sizeof(same),
                      max_rel != 0 ? "max rel diff %.1e"
                      : quantized  ? "== avx2 decode"
                                   : "== the 4 x 2 tile",
                      max_rel);
      std::printf("  %-38s %7.2f GMAC/s  x%.2f of old  %s\n", cand.name,
                  gmac / median(cand.seconds), median(c[0].seconds) / median(cand.seconds), same);
    }
  }
  // Prefill attention on the AVX2 level: a Qwen3-0.6B layer's shape (16 query heads, 8 kv heads,
  // head_dim 128), --tokens tokens from position 0, all kv heads, one thread; GFLOP/s of the
  // q.k and p.v multiply-adds (2 per visible key and dimension).
  if (only.empty() || only == "attention") {
    kernels::AttentionShape sh;
    sh.n_tokens = T;
    sh.n_heads = 16;
    sh.n_kv_heads = 8;
    sh.head_dim = 128;
    sh.head_rows = T;
    sh.scale = 1.0f / std::sqrt(128.0f);
    std::vector<float> q(static_cast<size_t>(T * 16 * 128)), k(static_cast<size_t>(8 * T * 128)),
        v(k.size()), out(q.size());
    for (float& f : q) f = dist(rng);
    for (float& f : k) f = dist(rng);
    for (float& f : v) f = dist(rng);
    std::vector<float> scratch(
        static_cast<size_t>(kernels::attention_scratch_floats(T * 2, sh.head_dim)));
    std::vector<double> secs;
    for (int r = 0; r < reps; ++r) {
      const double t0 = thread_seconds();
      for (int64_t h = 0; h < 8; ++h)
        kernels::attention_block<kernels::Avx2>(q.data(), k.data(), v.data(), sh, h, 0, T,
                                                scratch.data(), out.data());
      secs.push_back(thread_seconds() - t0);
    }
    const double flop = 2.0 * 2 * 16 * 128 * (double(T) * (T + 1) / 2);
    uint64_t hash = 1469598103934665603ull;  // FNV-1a of the output bytes, to compare builds
    for (const float f : out) {
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      hash = (hash ^ bits) * 1099511628211ull;
    }
    std::printf("attention 16/8 heads x 128, %lld tokens: %6.2f GFLOP/s  (output hash %016llx)\n",
                (long long)T, flop / median(secs) / 1e9, (unsigned long long)hash);
  }

  // Decode (one token) on the AVX2 level over --decode-mb of weights (past the caches, what a
  // decode step streams): a plain read of the bytes (the ceiling), the stored layout's dot row by
  // row, and the layout packed at load, GB/s of weight bytes, one thread.
  for (const DType type : {DType::Q8_0, DType::Q4_K, DType::Q6_K})
    for (const int64_t cols : {int64_t{1024}, int64_t{4096}, int64_t{12288}}) {
      if (!only.empty() && only != "decode") break;
      const int64_t rows = std::max<int64_t>(
          16, (decode_mb << 20) / static_cast<int64_t>(row_size(type, cols)) / 16 * 16);
      const size_t rb = row_size(type, cols);
      std::vector<std::byte> wq(rb * rows);
      std::vector<float> wf(static_cast<size_t>(cols)), x(static_cast<size_t>(cols));
      for (float& v : x) v = dist(rng);
      for (int64_t r = 0; r < rows; ++r) {
        if (r < 64) {
          for (float& v : wf) v = dist(rng);
          quant::quantize_row(type, wf.data(), wq.data() + r * rb, cols);
        } else {
          std::memcpy(wq.data() + r * rb, wq.data() + (r % 64) * rb, rb);
        }
      }
      const WeightView w{wq.data(), type, rows, cols};
      const size_t xrow = kernels::ref::quantized_activation_bytes(type, cols);
      std::vector<std::byte> xq(xrow);
      kernels::ref::quantize_activations(type, x.data(), cols, xq.data());
      std::unique_ptr<kernels::PackedKQuant> pk;
      std::unique_ptr<kernels::PackedQ8_0> p8;
      if (type == DType::Q8_0) {
        p8 = std::make_unique<kernels::PackedQ8_0>(w);
        p8->pack_groups(w, 0, p8->groups());
      } else {
        pk = std::make_unique<kernels::PackedKQuant>(w);
        pk->pack_groups(w, 0, pk->groups());
      }
      const auto dot = kernels::quant_vec_dot(type);
      std::vector<float> y_stored(static_cast<size_t>(rows)), y_packed(y_stored.size());
      std::vector<double> t_read, t_stored, t_packed;
      for (int r = 0; r < reps; ++r) {
        double t0 = thread_seconds();
        __m256i sink = _mm256_setzero_si256();
        for (size_t i = 0; i + 32 <= wq.size(); i += 32)
          sink = _mm256_add_epi32(
              sink, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq.data() + i)));
        t_read.push_back(thread_seconds() - t0);
        y_stored[0] = static_cast<float>(kernels::hsum_i32(sink));
        t0 = thread_seconds();
        for (int64_t n = 0; n < rows; ++n) y_stored[n] = dot(type, w.row(n), xq.data(), cols);
        t_stored.push_back(thread_seconds() - t0);
        t0 = thread_seconds();
        if (p8)
          kernels::packed_q8_0_matmul_rows(xq.data(), xrow, 1, *p8, 0, rows, y_packed.data());
        else
          kernels::packed_matmul_rows<kernels::Avx2>(xq.data(), xrow, 1, *pk, 0, rows,
                                                     y_packed.data());
        t_packed.push_back(thread_seconds() - t0);
      }
      const double gb = static_cast<double>(wq.size()) / 1e9;
      std::printf(
          "%-5s decode %6lld x %6lld: read %5.1f GB/s  stored %5.1f GB/s  packed %5.1f GB/s  %s\n",
          std::string(dtype_name(type)).c_str(), (long long)rows, (long long)cols,
          gb / median(t_read), gb / median(t_stored), gb / median(t_packed),
          y_stored == y_packed ? "packed == stored" : "DIFFERENT");
    }
  return 0;
}
