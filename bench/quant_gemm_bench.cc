// Prefill GEMM kernels for quantized weights, old against new in one process: each shape is timed
// alternately with the previous kernel (the row-unpacking path) and the tiled VNNI one, single
// threaded, and the ratio of medians printed. Times are this thread's CPU time, not wall time:
// other processes on a shared machine then slow the numbers less. Built with the AVX-512 flags the
// kernels need and including their headers directly, as kernels_avx512.cc does, so both versions
// stay callable.
//
//   quant_gemm_bench [--tokens 512] [--reps 5] [--isa-check]
#include <immintrin.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <vector>

#include "core/tensor.h"
#include "kernels/cpu/packed_k_quant.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/quant/quantize.h"
#include "kernels/ref/ref_ops.h"

namespace junction::kernels {
namespace {
// The quantized dots first: the GEMMs use their helpers.
#include "kernels/cpu/quant_dot_impl.h"
// Q4_K packed at load: the decode GEMV and the packed rows' unpacking.
#include "kernels/cpu/packed_k_quant_kernels.h"
// The tiled GEMMs.
#include "kernels/cpu/k_quant_gemm_vnni.h"
#include "kernels/cpu/q8_0_gemm_vnni.h"
}  // namespace
}  // namespace junction::kernels

namespace {

using namespace junction;
using Kernel = void (*)(const std::byte*, size_t, int64_t, const WeightView&, int64_t, int64_t,
                        float*);

double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"quant_gemm_bench: old vs new quantized prefill GEMM, one thread"};
  int64_t T = 512;
  int reps = 5;
  app.add_option("-p,--tokens", T);
  app.add_option("-r,--reps", reps);
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
    // Q4_K: also the GEMM reading rows packed at load (what the backend runs), alternating.
    std::unique_ptr<kernels::PackedKQuant> packed;
    if (kernels::PackedKQuant::supports(w)) {
      packed = std::make_unique<kernels::PackedKQuant>(w);
      packed->pack_groups(w, 0, packed->groups());
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
    if (packed) {
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
  return 0;
}
