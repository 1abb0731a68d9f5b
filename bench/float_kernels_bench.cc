// The float kernels (F16 / BF16 / F32 matmul, attention, rms_norm, silu_mul) at each ISA level this
// CPU runs, timed alternately in one process, single threaded, with this thread's CPU time (other
// processes on a shared machine then slow the numbers less). Prints the median per level and the
// ratio to the first level, so a change at one level reads as a change of its ratio to an
// untouched one.
//
//   float_kernels_bench [--levels avx512,avx2] [--reps 5] [--tokens 512]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "core/dtype.h"
#include "core/tensor.h"
#include "kernels/cpu/isa_kernels.h"
#include "kernels/ops.h"
#include "kernels/ref/ref_ops.h"

namespace {

using namespace junction;
using namespace junction::kernels;

using bench::median;
using bench::thread_seconds;

std::vector<float> random_floats(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Runs body(level) for every level, reps times round robin, and prints medians and ratios.
void time_case(const char* name, const std::vector<const IsaKernels*>& levels, int reps,
               const std::function<void(const IsaKernels&)>& body) {
  std::vector<std::vector<double>> times(levels.size());
  for (auto* k : levels) body(*k);  // warm up
  for (int rep = 0; rep < reps; ++rep) {
    for (size_t i = 0; i < levels.size(); ++i) {
      const double t0 = thread_seconds();
      body(*levels[i]);
      times[i].push_back(thread_seconds() - t0);
    }
  }
  std::printf("%-40s", name);
  const double base = median(times[0]);
  for (size_t i = 0; i < levels.size(); ++i) {
    const double m = median(times[i]);
    std::printf("  %s %8.2f ms (%.2fx)", levels[i]->name, m * 1e3, m / base);
  }
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"float kernels per ISA level"};
  std::string level_list = "avx512,avx2";
  int reps = 5;
  int64_t tokens = 512;
  std::string only;
  app.add_option("--levels", level_list, "comma-separated ISA levels, the first is the base");
  app.add_option("--reps", reps);
  app.add_option("--tokens", tokens, "prefill tokens");
  app.add_option("--only", only, "run cases whose name contains this");
  CLI11_PARSE(app, argc, argv);

  std::vector<const IsaKernels*> levels;
  std::stringstream ss(level_list);
  for (std::string name; std::getline(ss, name, ',');) levels.push_back(&isa_kernels(name));
  auto wanted = [&](const std::string& name) {
    return only.empty() || name.find(only) != std::string::npos;
  };

  std::mt19937 rng(7);
  // Matmul at prefill (F16, BF16, F32 weights) and decode (F16).
  for (DType dtype : {DType::F16, DType::BF16, DType::F32}) {
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{3072, 1024}, {1024, 3072}}) {
      const size_t elem = dtype_size(dtype);
      std::vector<std::byte> w(rows * cols * elem);
      for (int64_t i = 0; i < rows * cols; ++i) {
        const float v = std::uniform_real_distribution<float>(-1, 1)(rng);
        if (dtype == DType::F32) {
          std::memcpy(&w[i * 4], &v, 4);
        } else {
          const uint16_t h = dtype == DType::F16 ? f32_to_f16(v) : f32_to_bf16(v);
          std::memcpy(&w[i * 2], &h, 2);
        }
      }
      WeightView wv{w.data(), dtype, rows, cols};
      for (int64_t n_tok : {tokens, int64_t{1}}) {
        if (n_tok == 1 && dtype != DType::F16) continue;
        const auto x = random_floats(n_tok * cols, rng);
        std::vector<float> y(n_tok * rows);
        const std::string name = std::string(dtype_name(dtype)) + " matmul " +
                                 std::to_string(rows) + "x" + std::to_string(cols) +
                                 " t=" + std::to_string(n_tok);
        if (!wanted(name)) continue;
        time_case(name.c_str(), levels, reps, [&](const IsaKernels& k) {
          const int reps_inner = n_tok == 1 ? 50 : 1;
          for (int i = 0; i < reps_inner; ++i)
            k.matmul_rows(x.data(), n_tok, wv, 0, rows, y.data());
        });
      }
    }
  }

  // Attention, Qwen3 shapes: 16 (0.6B) / 32 (8B) query heads, 8 kv heads, head_dim 128; one kv
  // head's group per call as the backend splits it.
  for (int64_t n_heads : {16, 32}) {
    for (int64_t head_dim : {128, 64}) {
      const int64_t n_kv = 8, max_pos = 4096 + tokens;
      const auto k_cache = random_floats(n_kv * max_pos * head_dim, rng);
      const auto v_cache = random_floats(n_kv * max_pos * head_dim, rng);
      struct Case {
        int64_t pos0, n_tok;
      };
      for (Case c : {Case{0, tokens}, Case{512, 1}, Case{4096, 1}}) {
        AttentionShape s;
        s.n_tokens = c.n_tok;
        s.pos0 = c.pos0;
        s.n_heads = n_heads;
        s.n_kv_heads = n_kv;
        s.head_dim = head_dim;
        s.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
        s.head_rows = max_pos;
        const auto q = random_floats(c.n_tok * n_heads * head_dim, rng);
        std::vector<float> out(c.n_tok * n_heads * head_dim);
        const int64_t group = n_heads / n_kv;
        // Query tokens per call as the backend splits prefill (one call per 16 tokens here).
        const int64_t t_step = std::min<int64_t>(c.n_tok, 16);
        std::vector<float> scratch(attention_scratch_floats(t_step * group, head_dim));
        const std::string name =
            "attention h=" + std::to_string(n_heads) + " d=" + std::to_string(head_dim) +
            " pos0=" + std::to_string(c.pos0) + " t=" + std::to_string(c.n_tok);
        if (!wanted(name)) continue;
        time_case(name.c_str(), levels, reps, [&](const IsaKernels& k) {
          const int reps_inner = c.n_tok == 1 ? 4 : 1;
          for (int i = 0; i < reps_inner; ++i)
            for (int64_t kvh = 0; kvh < n_kv; ++kvh)
              for (int64_t t0 = 0; t0 < c.n_tok; t0 += t_step)
                k.attention_block(q.data(), k_cache.data(), v_cache.data(), s, kvh, t0,
                                  std::min(c.n_tok, t0 + t_step), scratch.data(), out.data());
        });
      }
    }
  }

  {
    const int64_t dim = 1024;
    const auto x = random_floats(tokens * dim, rng), w = random_floats(dim, rng);
    std::vector<float> y(tokens * dim);
    if (wanted("rms_norm"))
      time_case("rms_norm 1024 x tokens (x20)", levels, reps, [&](const IsaKernels& k) {
        for (int i = 0; i < 20; ++i) k.rms_norm(x.data(), tokens, dim, w.data(), 1e-6f, y.data());
      });
    const auto up = random_floats(tokens * 3072, rng);
    auto gate0 = random_floats(tokens * 3072, rng, 4.0f);
    std::vector<float> gate(gate0.size());
    if (wanted("silu_mul"))
      time_case("silu_mul 3072 x tokens (x4)", levels, reps, [&](const IsaKernels& k) {
        for (int i = 0; i < 4; ++i) {
          gate = gate0;
          k.silu_mul(gate.data(), up.data(), tokens * 3072);
        }
      });
  }
  return 0;
}
