#include "core/memory_bandwidth.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

namespace junction {
namespace {

#if defined(__x86_64__)
__attribute__((target("avx2"))) float sum_floats(const float* p, size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
  }
  float out[8];
  _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  return out[0] + out[7];
}
#else
// Elsewhere (ARM64) the compiler vectorizes this with the baseline SIMD (NEON); four partial
// sums keep four loads in flight, as above.
float sum_floats(const float* p, size_t n) {
  float a[4] = {};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) a[k] += p[i + k];
  return a[0] + a[3];
}
#endif

}  // namespace

double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int repeats) {
  const size_t n = bytes / sizeof(float);
  std::unique_ptr<float[], decltype(&std::free)> buffer(
      static_cast<float*>(std::aligned_alloc(64, n * sizeof(float))), &std::free);
  // Touch every page with each thread's own slice, so pages sit near the thread that reads them.
  pool.parallel_for(static_cast<int64_t>(n), 4096, [&](int64_t b, int64_t e) {
    std::memset(buffer.get() + b, 0, (e - b) * sizeof(float));
  });
  double best = 0;
  std::vector<float> sink(pool.size());
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(static_cast<int64_t>(n), 4096, [&](int64_t b, int64_t e) {
      sink[0] += sum_floats(buffer.get() + b, e - b);
    });
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(n * sizeof(float)) / s / 1e9);
  }
  return best;
}

}  // namespace junction
