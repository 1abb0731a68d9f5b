// What a few tokens cost against one on the CPU backend, as a batched decode step or a
// speculative verify runs a matmul: an 8B layer's matrices of one weight type (q, k, v, o, gate,
// up, down; past the caches, as a decode step streams them), prepared as the backend prepares
// them at load, multiplied by n tokens for each n, the n in turn within each repeat, wall time on
// --threads threads. Prints each n's median wall and CPU time and their ratios to one token's:
// when the weights are read once per call and the arithmetic hides under the reading, the ratio
// stays near 1.
//
//   small_batch_bench [--threads 2] [--reps 5] [--isa avx512|avx2|scalar] [--types
//   q4_k,q6_k,q6_k_packed,q8_0]
//   [--tokens 1,2,4]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/cpu/packed_k_quant.h"
#include "kernels/ops.h"
#include "quantize/quantize_row.h"

int main(int argc, char** argv) {
  using namespace junction;
  CLI::App app{"small_batch_bench: n tokens against one through the CPU backend"};
  int threads = 2, reps = 5;
  std::string isa;
  std::vector<std::string> types{"q4_k", "q6_k", "q8_0"};
  std::vector<int64_t> ns{1, 2, 3, 4, 5, 8, 9, 12, 16};
  app.add_option("-t,--threads", threads);
  app.add_option("-r,--reps", reps);
  app.add_option("--isa", isa);
  app.add_option("--types", types)->delimiter(',');
  app.add_option("-n,--tokens", ns)->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  struct M {
    int64_t rows, cols;
  };
  const M mats[] = {{4096, 4096},  {1024, 4096},  {1024, 4096}, {4096, 4096},
                    {12288, 4096}, {12288, 4096}, {4096, 12288}};
  ThreadPool pool(threads);
  auto backend = kernels::make_cpu_backend(pool, isa);
  std::printf("level %s, %d threads\n", std::string(backend->name()).c_str(), threads);
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const std::string& name : types) {
    // q6_k_packed: Q6_K in the 16-row packed layout, which the backend does not pack at load.
    const bool force_pack = name == "q6_k_packed";
    const DType type = name == "q4_k"                 ? DType::Q4_K
                       : name == "q6_k" || force_pack ? DType::Q6_K
                                                      : DType::Q8_0;
    // 64 distinct random rows repeated (quantizing ~230 MB row by row would dominate the run).
    std::vector<std::vector<std::byte>> stored;
    std::vector<WeightView> views;
    std::vector<float> wf(12288);
    for (const M& m : mats) {
      const size_t rb = row_size(type, m.cols);
      stored.emplace_back(rb * m.rows);
      for (int64_t r = 0; r < m.rows; ++r) {
        if (r < 64) {
          for (float& v : wf) v = dist(rng);
          quant::quantize_row(type, wf.data(), stored.back().data() + r * rb, m.cols);
        } else {
          std::memcpy(stored.back().data() + r * rb, stored.back().data() + (r % 64) * rb, rb);
        }
      }
      views.push_back(WeightView{stored.back().data(), type, m.rows, m.cols});
    }
    std::vector<std::unique_ptr<kernels::PreparedWeight>> prepared;
    size_t bytes = 0;
    for (const auto& v : views) {
      if (force_pack) {
        auto p = std::make_unique<kernels::PackedKQuant>(v);
        p->pack_groups(v, 0, p->groups());
        prepared.push_back(std::move(p));
      } else {
        prepared.push_back(backend->prepare_weight(v));
      }
      bytes += v.bytes();
    }
    const int64_t max_n = *std::max_element(ns.begin(), ns.end());
    std::vector<float> x(static_cast<size_t>(max_n * 12288)), y(x.size());
    for (float& v : x) v = dist(rng);
    std::vector<std::vector<double>> times(ns.size()), cpu(ns.size());
    for (int r = 0; r < reps; ++r)
      for (size_t i = 0; i < ns.size(); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = bench::process_seconds();
        for (size_t m = 0; m < views.size(); ++m)
          backend->matmul(x.data(), ns[i], views[m], prepared[m].get(), y.data());
        cpu[i].push_back(bench::process_seconds() - c0);
        times[i].push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
    const double one = bench::median(times[0]), one_cpu = bench::median(cpu[0]);
    std::printf("%s, 8B layer (%.0f MB)%s, wall ms (x one token's), CPU ms of all threads (x):\n",
                name.c_str(), bytes / 1e6, prepared[0] ? ", packed at load" : "");
    for (size_t i = 0; i < ns.size(); ++i)
      std::printf("  n=%-3lld %7.1f ms %5.2fx   cpu %7.1f ms %5.2fx\n", (long long)ns[i],
                  bench::median(times[i]) * 1e3, bench::median(times[i]) / one,
                  bench::median(cpu[i]) * 1e3, bench::median(cpu[i]) / one_cpu);
  }
  return 0;
}
