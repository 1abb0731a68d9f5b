// Prefill GEMM kernels for quantized weights, old against new in one process: each shape is timed
// alternately with the previous kernel (the row-unpacking path) and the tiled VNNI one, single
// threaded, and the ratio of medians printed. Times are this thread's CPU time, not wall time:
// other processes on a shared machine then slow the numbers less. Built with the AVX-512 flags the
// kernels need and including their headers directly, as kernels_avx512.cc does, so both versions
// stay callable.
//
//   quant_gemm_bench [--tokens 512] [--reps 5] [--threads 2] [--decode-only]
#include <immintrin.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <vector>

#include "bench/bench_timing.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/cpu/packed_k_quant.h"
#include "kernels/cpu/packed_q8_0.h"
#include "kernels/ops.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/ref/ref_ops.h"
#include "quantize/quantize_row.h"

namespace junction::kernels {
namespace {
// The quantized dots first: the GEMMs use their helpers.
#include "kernels/cpu/quant_dot_impl-inl.h"
// Q4_K packed at load: the decode GEMV and the packed rows' unpacking.
#include "kernels/cpu/packed_k_quant_kernels-inl.h"
// The tiled GEMMs.
#include "kernels/cpu/k_quant_gemm_vnni-inl.h"
#include "kernels/cpu/q8_0_gemm_vnni-inl.h"
// Q8_0 packed at load: the decode GEMV.
#include "kernels/cpu/packed_q8_0_kernels-inl.h"
}  // namespace
}  // namespace junction::kernels

namespace {

using namespace junction;
using Kernel = void (*)(const std::byte*, size_t, int64_t, const WeightView&, int64_t, int64_t,
                        float*);

using bench::median;
using bench::thread_seconds;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"quant_gemm_bench: old vs new quantized prefill GEMM, one thread"};
  int64_t T = 512;
  int reps = 5;
  app.add_option("-p,--tokens", T);
  app.add_option("-r,--reps", reps);
  int64_t decode_mb = 96;  // Q8_0 decode matrix size; a few MB stay in cache (compute bound)
  app.add_option("--decode-mb", decode_mb);
  int threads = 2;  // for the whole-backend decode comparison
  app.add_option("-t,--threads", threads);
  bool decode_only = false;
  app.add_flag("--decode-only", decode_only);
  CLI11_PARSE(app, argc, argv);

  struct Shape {
    DType type;
    int64_t rows, cols;
  };
  const Shape shapes[] = {
      {DType::Q8_0, 1024, 1024}, {DType::Q8_0, 3072, 1024}, {DType::Q8_0, 1024, 3072},
      {DType::Q8_0, 512, 4096},  {DType::Q8_0, 256, 12288}, {DType::Q4_K, 1024, 1024},
      {DType::Q4_K, 3072, 1024}, {DType::Q4_K, 1024, 3072}, {DType::Q4_K, 512, 4096},
      {DType::Q6_K, 1024, 3072}, {DType::Q6_K, 256, 12288}};
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const Shape& s : shapes) {
    if (decode_only) break;
    std::vector<float> wf(static_cast<size_t>(s.rows * s.cols)), x(static_cast<size_t>(T * s.cols));
    for (float& v : wf) v = dist(rng);
    for (float& v : x) v = dist(rng);
    const size_t row_bytes = row_size(s.type, s.cols);
    std::vector<std::byte> wq(row_bytes * s.rows);
    for (int64_t r = 0; r < s.rows; ++r)
      quant::quantize_row(s.type, wf.data() + r * s.cols, wq.data() + r * row_bytes, s.cols);
    const WeightView w{wq.data(), s.type, s.rows, s.cols};
    const size_t xrow = kernels::ref::quantized_activation_bytes(s.type, s.cols);
    std::vector<std::byte> xq(xrow * T);
    for (int64_t t = 0; t < T; ++t)
      kernels::ref::quantize_activations(s.type, x.data() + t * s.cols, s.cols,
                                         xq.data() + t * xrow);
    std::vector<float> y_old(static_cast<size_t>(T * s.rows)), y_new(y_old.size());
    Kernel old_k = &kernels::quant_matmul_unpacked, new_k = nullptr;
    if (s.type == DType::Q8_0) new_k = &kernels::quant_matmul_q8_0_vnni;
    if (kernels::has_k_gemm(s.type))
      new_k = [](const std::byte* xq, size_t xrow, int64_t T, const WeightView& w, int64_t b,
                 int64_t e,
                 float* y) { kernels::quant_matmul_k_vnni(xq, xrow, T, w, nullptr, b, e, y); };
    // Q4_K and Q8_0: also the GEMM reading rows packed at load (what the backend runs),
    // alternating.
    std::unique_ptr<kernels::PackedKQuant> packed;
    if (kernels::PackedKQuant::supports(w)) {
      packed = std::make_unique<kernels::PackedKQuant>(w);
      packed->pack_groups(w, 0, packed->groups());
    }
    std::unique_ptr<kernels::PackedQ8_0> packed_q8;
    if (kernels::PackedQ8_0::supports(w)) {
      packed_q8 = std::make_unique<kernels::PackedQ8_0>(w);
      packed_q8->pack_groups(w, 0, packed_q8->groups());
    }
    std::vector<float> y_packed(y_new.size());
    // Q4_K / Q6_K: the GEMM on the packed layout itself (no row unpacking), what the backend runs
    // on packed weights, and the same on stored rows packed on the fly (Q6_K in the backend).
    std::vector<float> y_direct(y_new.size()), y_fly(y_new.size());
    std::vector<double> t_old, t_new, t_packed, t_direct, t_fly;
    for (int r = 0; r < reps; ++r) {
      for (int which = 0; which < 2; ++which) {
        const double t0 = thread_seconds();
        (which ? new_k : old_k)(xq.data(), xrow, T, w, 0, s.rows,
                                which ? y_new.data() : y_old.data());
        const double dt = thread_seconds() - t0;
        (which ? t_new : t_old).push_back(dt);
      }
      if (packed) {
        const double t0 = thread_seconds();
        kernels::quant_matmul_k_vnni(xq.data(), xrow, T, w, packed.get(), 0, s.rows,
                                     y_packed.data());
        t_packed.push_back(thread_seconds() - t0);
      }
      if (packed_q8) {
        const double t0 = thread_seconds();
        kernels::packed_q8_0_matmul_rows(xq.data(), xrow, T, *packed_q8, 0, s.rows,
                                         y_packed.data());
        t_packed.push_back(thread_seconds() - t0);
      }
      if (packed) {
        double t0 = thread_seconds();
        kernels::packed_k_gemm(xq.data(), xrow, T, *packed, 0, s.rows, y_direct.data());
        t_direct.push_back(thread_seconds() - t0);
        t0 = thread_seconds();
        kernels::stored_k_gemm(xq.data(), xrow, T, w, 0, s.rows, y_fly.data());
        t_fly.push_back(thread_seconds() - t0);
      }
    }
    double max_rel = 0;  // Q6_K: the old path left its float sum uncontracted (decode does not)
    for (size_t i = 0; i < y_old.size(); ++i)
      max_rel =
          std::max(max_rel, std::fabs(double{y_new[i]} - y_old[i]) / (1 + std::fabs(y_old[i])));
    char same[64];
    std::snprintf(same, sizeof(same), max_rel == 0 ? "bit-identical" : "max rel diff %.1e",
                  max_rel);
    const double gmac = double(T) * s.rows * s.cols / 1e9;
    std::printf("%-5s %6lld x %6lld, %lld tokens: old %7.2f GMAC/s  new %7.2f GMAC/s  x%.2f  %s\n",
                std::string(dtype_name(s.type)).c_str(), (long long)s.rows, (long long)s.cols,
                (long long)T, gmac / median(t_old), gmac / median(t_new),
                median(t_old) / median(t_new), same);
    if (packed || packed_q8) {
      std::printf("      packed rows (load-time layout):             %7.2f GMAC/s  x%.2f  %s\n",
                  gmac / median(t_packed), median(t_new) / median(t_packed),
                  y_packed == y_new ? "bit-identical" : "DIFFERENT");
    }
    if (!t_direct.empty()) {
      std::printf("      packed GEMM (no unpacking):                 %7.2f GMAC/s  x%.2f  %s\n",
                  gmac / median(t_direct), median(t_packed) / median(t_direct),
                  y_direct == y_packed ? "bit-identical" : "DIFFERENT");
      std::printf("      stored rows packed on the fly:              %7.2f GMAC/s  x%.2f  %s\n",
                  gmac / median(t_fly), median(t_new) / median(t_fly),
                  y_fly == y_packed ? "bit-identical" : "DIFFERENT");
    }
  }

  // Decode (one token) on Q4_K: the stored layout (vec_dot_q4_k row by row) against the packed
  // 16-row layout, over a matrix larger than the caches (what a decode step streams).
  for (const int64_t cols : {int64_t{1024}, int64_t{4096}, int64_t{12288}}) {
    if (decode_only) break;
    const int64_t rows = (int64_t{96} << 20) / (cols / 256 * 144);  // ~96 MB of Q4_K
    std::vector<float> wf(static_cast<size_t>(cols)), x(static_cast<size_t>(cols));
    for (float& v : x) v = dist(rng);
    const size_t row_bytes = row_size(DType::Q4_K, cols);
    std::vector<std::byte> wq(row_bytes * rows);
    for (int64_t r = 0; r < rows; ++r) {
      if (r < 64)
        for (float& v : wf) v = dist(rng);
      if (r < 64)
        quant::quantize_row(DType::Q4_K, wf.data(), wq.data() + r * row_bytes, cols);
      else
        std::memcpy(wq.data() + r * row_bytes, wq.data() + (r % 64) * row_bytes, row_bytes);
    }
    const WeightView w{wq.data(), DType::Q4_K, rows, cols};
    kernels::PackedKQuant packed(w);
    packed.pack_groups(w, 0, packed.groups());
    const size_t xrow = kernels::ref::quantized_activation_bytes(DType::Q4_K, cols);
    std::vector<std::byte> xq(xrow);
    kernels::ref::quantize_activations(DType::Q4_K, x.data(), cols, xq.data());
    std::vector<float> y_old(static_cast<size_t>(rows)), y_new(y_old.size());
    std::vector<double> t_old, t_new;
    for (int r = 0; r < reps; ++r) {
      double t0 = thread_seconds();
      for (int64_t n = 0; n < rows; ++n)
        y_old[n] = kernels::vec_dot_q4_k(DType::Q4_K, w.row(n), xq.data(), cols);
      t_old.push_back(thread_seconds() - t0);
      t0 = thread_seconds();
      kernels::packed_matmul_gemv(xq.data(), xrow, 1, packed, 0, rows, y_new.data());
      t_new.push_back(thread_seconds() - t0);
    }
    std::printf("Q4_K decode %6lld x %6lld: stored %6.1f GB/s  packed %6.1f GB/s  x%.2f  %s\n",
                (long long)rows, (long long)cols, w.bytes() / median(t_old) / 1e9,
                w.bytes() / median(t_new) / 1e9, median(t_old) / median(t_new),
                y_old == y_new ? "bit-identical" : "DIFFERENT");
    for (int64_t n = 0; n < rows; ++n)
      if (y_old[n] != y_new[n]) {
        std::printf("  row %lld: %.9g vs %.9g\n", (long long)n, y_old[n], y_new[n]);
        break;
      }
  }
  // Decode (one token) on Q8_0: the stored layout (vec_dot_q8_0 row by row) against the packed
  // 16-row layout, alternating, over --decode-mb (96 MB: what a decode step streams).
  for (const int64_t cols : {int64_t{1024}, int64_t{4096}, int64_t{12288}}) {
    const int64_t rows = std::max<int64_t>(16, (decode_mb << 20) / (cols / 32 * 34) / 16 * 16);
    std::vector<float> wf(static_cast<size_t>(cols)), x(static_cast<size_t>(cols));
    for (float& v : x) v = dist(rng);
    const size_t row_bytes = row_size(DType::Q8_0, cols);
    std::vector<std::byte> wq(row_bytes * rows);
    for (int64_t r = 0; r < rows; ++r) {
      if (r < 64) {
        for (float& v : wf) v = dist(rng);
        quant::quantize_row(DType::Q8_0, wf.data(), wq.data() + r * row_bytes, cols);
      } else {
        std::memcpy(wq.data() + r * row_bytes, wq.data() + (r % 64) * row_bytes, row_bytes);
      }
    }
    const WeightView w{wq.data(), DType::Q8_0, rows, cols};
    kernels::PackedQ8_0 packed(w);
    packed.pack_groups(w, 0, packed.groups());
    const size_t xrow = kernels::ref::quantized_activation_bytes(DType::Q8_0, cols);
    std::vector<std::byte> xq(xrow);
    kernels::ref::quantize_activations(DType::Q8_0, x.data(), cols, xq.data());
    std::vector<float> y_old(static_cast<size_t>(rows)), y_new(y_old.size());
    std::vector<double> t_old, t_new, t_read;
    for (int r = 0; r < reps; ++r) {
      double t0 = thread_seconds();
      // The ceiling: a plain read of the same bytes, 64 at a time.
      __m512i sink = _mm512_setzero_si512();
      for (size_t i = 0; i + 64 <= wq.size(); i += 64)
        sink = _mm512_add_epi32(sink, _mm512_loadu_si512(wq.data() + i));
      t_read.push_back(thread_seconds() - t0);
      y_old[0] = static_cast<float>(_mm512_reduce_add_epi32(sink));
      t0 = thread_seconds();
      for (int64_t n = 0; n < rows; ++n)
        y_old[n] = kernels::vec_dot_q8_0(DType::Q8_0, w.row(n), xq.data(), cols);
      t_old.push_back(thread_seconds() - t0);
      t0 = thread_seconds();
      kernels::packed_q8_0_matmul_rows(xq.data(), xrow, 1, packed, 0, rows, y_new.data());
      t_new.push_back(thread_seconds() - t0);
    }
    std::printf(
        "Q8_0 decode %6lld x %6lld: read %6.1f GB/s  stored %6.1f GB/s  packed %6.1f GB/s  x%.2f  "
        "%s\n",
        (long long)rows, (long long)cols, w.bytes() / median(t_read) / 1e9,
        w.bytes() / median(t_old) / 1e9, w.bytes() / median(t_new) / 1e9,
        median(t_old) / median(t_new), y_old == y_new ? "bit-identical" : "DIFFERENT");
  }
  // Decode through the CPU backend on --threads threads, as a model step runs it: an 8B layer's
  // Q8_0 matrices (q, k, v, o, gate, up, down; ~230 MB, past the caches), stored against packed,
  // alternating, wall time.
  {
    struct M {
      int64_t rows, cols;
    };
    const M mats[] = {{4096, 4096},  {1024, 4096},  {1024, 4096}, {4096, 4096},
                      {12288, 4096}, {12288, 4096}, {4096, 12288}};
    std::vector<std::vector<std::byte>> stored;
    std::vector<WeightView> views;
    std::vector<float> wf(12288);
    for (const M& m : mats) {
      const size_t rb = row_size(DType::Q8_0, m.cols);
      stored.emplace_back(rb * m.rows);
      for (int64_t r = 0; r < m.rows; ++r) {
        if (r < 64) {
          for (float& v : wf) v = dist(rng);
          quant::quantize_row(DType::Q8_0, wf.data(), stored.back().data() + r * rb, m.cols);
        } else {
          std::memcpy(stored.back().data() + r * rb, stored.back().data() + (r % 64) * rb, rb);
        }
      }
      views.push_back(WeightView{stored.back().data(), DType::Q8_0, m.rows, m.cols});
    }
    ThreadPool pool(threads);
    auto backend = kernels::make_cpu_backend(pool);
    std::vector<std::unique_ptr<kernels::PreparedWeight>> prepared;
    size_t bytes = 0;
    for (const auto& v : views) {
      prepared.push_back(backend->prepare_weight(v));
      bytes += v.bytes();
    }
    std::vector<float> x(12288), y(12288);
    for (float& v : x) v = dist(rng);
    std::vector<double> t_stored, t_packed;
    for (int r = 0; r < 4 * reps; ++r) {
      for (int which = 0; which < 2; ++which) {
        const auto t0 = std::chrono::steady_clock::now();
        for (size_t i = 0; i < views.size(); ++i)
          backend->matmul(x.data(), 1, views[i], which ? prepared[i].get() : nullptr, y.data());
        const double dt =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        (which ? t_packed : t_stored).push_back(dt);
      }
    }
    std::printf("Q8_0 decode, 8B layer, %d threads: stored %6.1f GB/s  packed %6.1f GB/s  x%.2f\n",
                threads, bytes / median(t_stored) / 1e9, bytes / median(t_packed) / 1e9,
                median(t_stored) / median(t_packed));
  }
  return 0;
}
