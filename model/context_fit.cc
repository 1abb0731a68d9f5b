#include "model/context_fit.h"

#include <algorithm>
#include <cstdio>

namespace junction {

namespace {

std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f GiB", static_cast<double>(bytes) / (1ull << 30));
  return buf;
}

int64_t round_down(int64_t tokens, int64_t block) {
  return std::max<int64_t>(block, tokens / block * block);
}

}  // namespace

uint64_t memory_headroom(uint64_t available_bytes) {
  return available_bytes / 20 + (uint64_t{256} << 20);
}

ContextFit fit_context(const ContextFitInput& in) {
  const int64_t block = std::max<int64_t>(1, in.block_size);
  const int64_t n_seq = std::max<int64_t>(1, in.n_sequences);
  const int64_t model_max = in.model_max_ctx > 0 ? in.model_max_ctx : 4096;
  const std::string max_text = in.model_max_ctx > 0
                                   ? "the model's maximum " + std::to_string(model_max)
                                   : "no maximum in the model's config, so 4096";
  ContextFit f;
  if (!in.available_bytes || in.kv_bytes_per_token == 0) {
    f.n_ctx = std::min<int64_t>(model_max, 4096);
    f.n_pool_tokens = f.n_ctx * n_seq;
    f.reason = "context " + std::to_string(f.n_ctx) + " tokens (" + max_text +
               ", at most 4096: this machine's available memory is unknown)";
    return f;
  }
  const uint64_t available = *in.available_bytes;
  const uint64_t taken = in.weight_bytes + in.work_bytes + memory_headroom(available);
  const uint64_t budget = available > taken ? available - taken : 0;
  const uint64_t fits = budget / in.kv_bytes_per_token;
  const int64_t wanted = model_max * n_seq;
  const std::string sums =
      gib(available) + " available - weights " + gib(in.weight_bytes) + " - work buffers " +
      gib(in.work_bytes) + " - headroom " + gib(memory_headroom(available)) + " = " + gib(budget) +
      " for the KV cache at " + std::to_string(in.kv_bytes_per_token) + " bytes/token";
  if (fits >= static_cast<uint64_t>(wanted)) {
    f.n_ctx = model_max;
    f.n_pool_tokens = wanted;
    f.reason = "context " + std::to_string(f.n_ctx) + " tokens (" + max_text + "; KV pool " +
               std::to_string(f.n_pool_tokens) + " tokens for " + std::to_string(n_seq) +
               " sequences fits: " + sums + ")";
    return f;
  }
  const int64_t floor = std::min<int64_t>(model_max, 1024);
  f.n_pool_tokens = round_down(static_cast<int64_t>(fits), block);
  if (f.n_pool_tokens < floor) {
    f.n_pool_tokens = floor;
    f.n_ctx = floor;
    f.reason = "context " + std::to_string(f.n_ctx) + " tokens (" + max_text +
               " does not fit, nor does more than this floor: " + sums +
               "; pages are committed only as they fill)";
    return f;
  }
  f.n_ctx = std::min<int64_t>(model_max, f.n_pool_tokens);
  f.reason = "context " + std::to_string(f.n_ctx) + " tokens, a KV pool of " +
             std::to_string(f.n_pool_tokens) + " shared by " + std::to_string(n_seq) +
             " sequences (" + max_text + " x " + std::to_string(n_seq) + " does not fit: " + sums +
             "; --ctx-size overrides)";
  return f;
}

}  // namespace junction
