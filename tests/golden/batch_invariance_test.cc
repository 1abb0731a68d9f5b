// Batch invariance: a sequence's logits are the same bits whatever else shares its forward batch,
// however its prompt is cut into chunks (one chunk, chunks of 7, token by token: a preempted
// sequence recomputes its tokens as a prefill that were first computed as decode steps), at 1 or
// 2 threads, and at every kernel level (the scalar one is the reference). Without this, long
// sampled outputs served in a batch drift from the same request served alone (issue 17's pool
// test: ~2.4e-6 logit differences once flipped a sampled token after 19,368 steps).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "engine/sequence.h"
#include "kernels/ops.h"
#include "model/model.h"

namespace junction {
namespace {

const std::string kData = std::string(JUNCTION_TEST_DATA);

std::vector<int32_t> tokens(int n, int seed, int64_t vocab) {
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(static_cast<int32_t>((seed * 7919 + i * 131 + i * i * 17) % (vocab - 3) + 2));
  return out;
}

// The first position whose logits differ in any bit, with the largest difference; "" if none.
std::string first_difference(const std::vector<float>& got, const std::vector<float>& want,
                             int64_t vocab) {
  if (got.size() != want.size())
    return "sizes " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::memcmp(&got[i], &want[i], sizeof(float)) == 0) continue;
    double worst = 0;
    for (size_t j = 0; j < got.size(); ++j)
      worst = std::max(worst, std::fabs(double(got[j]) - double(want[j])));
    return "position " + std::to_string(i / vocab) + " logit " + std::to_string(i % vocab) + ": " +
           std::to_string(got[i]) + " vs " + std::to_string(want[i]) + " (largest difference " +
           std::to_string(worst) + ")";
  }
  return "";
}

// Every position's logits of `ids` fed alone, `chunk` tokens at a time.
std::vector<float> alone(const Model& model, kernels::Backend& backend,
                         const std::vector<int32_t>& ids, int64_t chunk, KvCacheType type) {
  Sequence seq(model, static_cast<int64_t>(ids.size()), type);
  std::vector<float> all;
  seq.feed(backend, ids, chunk, &all);
  return all;
}

// A's tokens fed `a_chunk` at a time in the same forward batches as two other sequences: B
// decoding one token per step after its own prompt, C prefilling in chunks of 5 (so steps mix
// prefill and decode rows, and A's rows sit between others'). Returns A's logits at every
// position.
std::vector<float> in_a_batch(const Model& model, kernels::Backend& backend,
                              const std::vector<int32_t>& a, int64_t a_chunk, KvCacheType type) {
  const int64_t V = model.config().vocab_size;
  const auto b = tokens(70, 2, V), c = tokens(90, 3, V);
  KvCache ca(model.config(), 128, 16, type), cb(model.config(), 128, 16, type),
      cc(model.config(), 128, 16, type);
  ForwardScratch scratch;
  std::vector<float> logits(64 * V), out;
  // B's prompt first (19 tokens), alone.
  const int64_t b_prompt = 19;
  model.forward(backend, cb, std::span(b).first(b_prompt), 0, 1, logits.data(), scratch);
  int64_t pa = 0, pb = b_prompt, pc = 0;
  const auto n = static_cast<int64_t>(a.size());
  while (pa < n) {
    const int64_t na = std::min(a_chunk, n - pa), nc = std::min<int64_t>(5, 90 - pc);
    std::vector<BatchSlice> slices;
    slices.push_back({&cb, std::span(b).subspan(pb, 1), pb, 1});
    slices.push_back({&ca, std::span(a).subspan(pa, na), pa, na});
    if (nc > 0) slices.push_back({&cc, std::span(c).subspan(pc, nc), pc, 2});
    model.forward(backend, slices, logits.data(), scratch);
    out.insert(out.end(), logits.begin() + V, logits.begin() + (1 + na) * V);
    pa += na;
    pb += 1;
    pc += nc;
  }
  return out;
}

class BatchInvariance : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchInvariance, LogitsBitIdenticalWhateverTheBatchChunkingThreadsAndLevel) {
  const auto model = Model::load(kData + "/" + GetParam());
  const int64_t V = model->config().vocab_size;
  ThreadPool one(1), two(2);
  auto cpu1 = kernels::make_cpu_backend(one);
  auto cpu2 = kernels::make_cpu_backend(two);
  auto scalar = kernels::make_cpu_backend(two, "scalar");
  model->prepare_weights(*cpu2);  // as the CLI and server run it (Q4_K, Q8_0 packed)
  const auto a = tokens(45, 1, V);
  std::vector<KvCacheType> types = {kKvCacheF32, kKvCacheF16};
  if (model->config().head_dim % 32 == 0) types.push_back(KvCacheType{DType::Q8_0, DType::Q8_0});
  for (const KvCacheType type : types) {
    const std::string label = GetParam() + " cache " + kv_cache_type_name(type.k) + ": ";
    // The decode steps are the reference: one token per forward, alone.
    const auto want = alone(*model, *cpu2, a, 1, type);
    EXPECT_EQ(first_difference(alone(*model, *cpu2, a, 64, type), want, V), "")
        << label << "the prompt in one chunk";
    EXPECT_EQ(first_difference(alone(*model, *cpu2, a, 7, type), want, V), "")
        << label << "chunks of 7";
    EXPECT_EQ(first_difference(alone(*model, *cpu1, a, 1, type), want, V), "")
        << label << "one thread";
    EXPECT_EQ(first_difference(in_a_batch(*model, *cpu2, a, 1, type), want, V), "")
        << label << "decoded in a batch with others";
    EXPECT_EQ(first_difference(in_a_batch(*model, *cpu2, a, 6, type), want, V), "")
        << label << "chunks of 6 in a batch with others";
    EXPECT_EQ(first_difference(alone(*model, *scalar, a, 1, type), want, V), "")
        << label << "the scalar level";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, BatchInvariance,
    ::testing::Values("models/qwen3-long-yarn-f32", "models/qwen3-tiny-tied-f32",
                      "models/qwen3-small-yarn-bf16", "models/qwen3-qbase-f32",
                      "models/qwen2-tiny-bias-f32", "models/llama-tiny-f16",
                      "models/mistral-tiny-bf16", "models/gemma-tiny-f32", "models/phi3-tiny-f32",
                      "gguf/qwen3-qbase-F16.gguf", "gguf/qwen3-qbase-Q8_0.gguf",
                      "gguf/qwen3-qbase-Q4_0.gguf", "gguf/qwen3-qbase-Q4_K_M.gguf",
                      "gguf/qwen3-qbase-Q5_K_M.gguf", "gguf/qwen3-qbase-Q6_K.gguf"),
    [](const auto& info) {
      std::string name = info.param.substr(info.param.find('/') + 1);
      for (char& ch : name)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

}  // namespace
}  // namespace junction
