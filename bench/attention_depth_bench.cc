// Attention at depth through the CPU backend, as one layer of the 8B shape runs it (32 query
// heads, 8 kv heads, head_dim 128): a decode step (1 query token) or a prefill chunk (-n tokens)
// after --depth cached positions, for each KV cache type, the cache filled by the level's own
// store_kv_row. Prints median wall and process CPU time per call, and for decode the GB/s of the
// cache it reads (the bytes of K and V up to the depth): decode attention should stream the cache
// at the memory's speed.
//
//   attention_depth_bench [--threads 2] [--reps 9] [--depth 4096,16384] [--tokens 1,512]
//                         [--types f16,q8_0] [--isa LEVEL]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"

int main(int argc, char** argv) {
  using namespace junction;
  using kernels::AttentionShape;
  using kernels::kv_cache_row_bytes;
  CLI::App app{"attention_depth_bench: one layer's attention at depth through the CPU backend"};
  int threads = 2, reps = 9;
  std::string isa;
  std::vector<int64_t> depths{4096, 16384}, tokens{1};
  std::vector<std::string> types{"f16", "q8_0"};
  app.add_option("-t,--threads", threads);
  app.add_option("-r,--reps", reps);
  app.add_option("--isa", isa);
  app.add_option("-d,--depth", depths)->delimiter(',');
  app.add_option("-n,--tokens", tokens)->delimiter(',');
  app.add_option("--types", types)->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  const int64_t n_heads = 32, n_kv = 8, head_dim = 128;
  ThreadPool pool(threads);
  auto backend = kernels::make_cpu_backend(pool, isa);
  std::printf("level %s, %d threads; 8B shape: %lld/%lld heads, head_dim %lld\n",
              std::string(backend->name()).c_str(), threads, (long long)n_heads, (long long)n_kv,
              (long long)head_dim);
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const std::string& type_name : types) {
    const DType type = type_name == "f32"    ? DType::F32
                       : type_name == "bf16" ? DType::BF16
                       : type_name == "q8_0" ? DType::Q8_0
                                             : DType::F16;
    for (const int64_t depth : depths) {
      for (const int64_t n : tokens) {
        const int64_t capacity = depth + n;
        const size_t row_bytes = kv_cache_row_bytes(type, head_dim);
        // 256 distinct random rows repeated: storing every row one by one would dominate.
        std::vector<std::byte> k(n_kv * capacity * row_bytes), v(k.size());
        std::vector<float> x(head_dim);
        std::vector<std::byte> rows_k(256 * row_bytes), rows_v(256 * row_bytes);
        for (int i = 0; i < 256; ++i) {
          for (float& e : x) e = dist(rng);
          backend->store_kv_row(x.data(), head_dim, type, rows_k.data() + i * row_bytes);
          for (float& e : x) e = dist(rng);
          backend->store_kv_row(x.data(), head_dim, type, rows_v.data() + i * row_bytes);
        }
        for (int64_t r = 0; r < n_kv * capacity; ++r) {
          std::memcpy(k.data() + r * row_bytes, rows_k.data() + (r % 256) * row_bytes, row_bytes);
          std::memcpy(v.data() + r * row_bytes, rows_v.data() + (r % 256) * row_bytes, row_bytes);
        }
        std::vector<float> q(n * n_heads * head_dim), out(q.size());
        for (float& e : q) e = dist(rng);
        AttentionShape s;
        s.n_tokens = n;
        s.pos0 = depth;
        s.n_heads = n_heads;
        s.n_kv_heads = n_kv;
        s.head_dim = head_dim;
        s.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
        s.k_type = s.v_type = type;
        s.head_rows = capacity;
        std::vector<double> wall, cpu;
        for (int r = 0; r < reps; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          const double c0 = bench::process_seconds();
          backend->attention(q.data(), k.data(), v.data(), s, out.data());
          cpu.push_back(bench::process_seconds() - c0);
          wall.push_back(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        const double w = bench::median(wall), c = bench::median(cpu);
        const double bytes = 2.0 * n_kv * (depth + n) * row_bytes;
        std::printf(
            "%-5s depth %6lld tokens %4lld: wall %8.3f ms, cpu %8.3f ms, %6.1f GB/s of cache\n",
            type_name.c_str(), (long long)depth, (long long)n, w * 1e3, c * 1e3, bytes / w / 1e9);
      }
    }
  }
}
