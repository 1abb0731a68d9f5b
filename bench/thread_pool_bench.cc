// The thread pool's per-job synchronisation cost: wall time of an empty run() and of a
// parallel_for over a decode-sized range whose chunks do no work, medians over many jobs. A
// 0.6B model's decode step issues about 225 such jobs (8 per layer plus the output matmul), so
// the cost per step is about 225 times the parallel_for figure.
//
//   thread_pool_bench [-t 2] [-j 200000]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <vector>

#include "core/thread_pool.h"

namespace {

template <class F>
double median_ns_per_job(int jobs, F&& job) {
  std::vector<double> ns;
  for (int rep = 0; rep < 7; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < jobs; ++i) job();
    const auto t1 = std::chrono::steady_clock::now();
    ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / jobs);
  }
  std::sort(ns.begin(), ns.end());
  return ns[ns.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"thread_pool_bench: synchronisation cost per job"};
  int threads = 2, jobs = 200000;
  app.add_option("-t,--threads", threads);
  app.add_option("-j,--jobs", jobs);
  CLI11_PARSE(app, argc, argv);
  junction::ThreadPool pool(threads);
  std::atomic<int64_t> sink{0};
  const double run_ns = median_ns_per_job(jobs, [&] { pool.run([](int) {}); });
  const double for_ns = median_ns_per_job(jobs, [&] {
    pool.parallel_for(1024, 16, [&](int64_t b, int64_t e) {
      if (e - b == 0) sink.fetch_add(1, std::memory_order_relaxed);
    });
  });
  std::printf(
      "%d threads: empty run() %.0f ns, empty parallel_for(1024 rows) %.0f ns per job; "
      "x225 jobs = %.1f us per 0.6B decode step\n",
      threads, run_ns, for_ns, 225 * for_ns / 1000);
  return sink.load() == 0 ? 0 : 1;
}
