// GGUF files made by llama.cpp (tests/data/gguf, see its README): every file loads, dequantized
// tensors equal llama.cpp's bit for bit, and our logits agree with llama.cpp's recorded runs when
// fed the same tokens (teacher forcing), within the tolerances of issue 5.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "engine/sequence.h"
#include "formats/gguf.h"
#include "kernels/ops.h"
#include "kernels/quant/quant_ref.h"
#include "model/model.h"
#include "tests/support/isa_levels.h"

namespace junction {
namespace {

const std::string kGguf = std::string(JUNCTION_TEST_DATA) + "/gguf/";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return nlohmann::json::parse(in);
}

std::string sha256_hex(const void* data, size_t n) {
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(data, n, digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

TEST(Gguf, EveryFixtureFileParses) {
  for (const char* name : {"qwen3-qbase-F16", "qwen3-qbase-Q8_0", "qwen3-qbase-Q6_K",
                           "qwen3-qbase-Q5_K_M", "qwen3-qbase-Q4_K_M", "qwen3-qbase-Q4_0",
                           "qwen3-e2e-BF16", "qwen3-e2e-Q8_0", "qwen3-vocab-only"}) {
    const auto g = GgufFile::open(kGguf + name + ".gguf");
    EXPECT_EQ(g->get_string("general.architecture"), "qwen3") << name;
    EXPECT_EQ(g->version(), 3u) << name;
    if (std::string(name) != "qwen3-vocab-only") {
      EXPECT_NO_THROW(Model::load(kGguf + name + ".gguf")) << name;
    } else {
      EXPECT_EQ(g->tensors().size(), 0u);
      EXPECT_EQ(g->find("tokenizer.ggml.tokens")->array.size(), 151936u);
    }
  }
}

class GgufDequant : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufDequant, MatchesLlamaCppBitForBit) {
  const auto g = GgufFile::open(kGguf + "qwen3-qbase-" + GetParam() + ".gguf");
  const auto refs = read_json(kGguf + "qwen3-qbase-" + GetParam() + ".dequant.json");
  for (const auto& [name, ref] : refs.items()) {
    const GgufTensor* t = g->tensor(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(std::string(dtype_name(t->dtype)), ref["ggml_type"].get<std::string>()) << name;
    const int64_t cols = t->ne[0], rows = t->ne[1];
    std::vector<float> all(rows * cols);
    for (int64_t r = 0; r < rows; ++r)
      quant::dequantize_row(t->dtype, t->data + r * row_size(t->dtype, cols), all.data() + r * cols,
                            cols);
    std::ifstream in(kGguf + ref["file"].get<std::string>(), std::ios::binary);
    const int64_t stored_rows =
        ref["rows_stored"][1].get<int64_t>() - ref["rows_stored"][0].get<int64_t>();
    std::vector<float> want(stored_rows * cols);
    in.read(reinterpret_cast<char*>(want.data()), static_cast<std::streamsize>(want.size() * 4));
    ASSERT_TRUE(in) << name;
    EXPECT_EQ(std::memcmp(want.data(), all.data(), want.size() * 4), 0)
        << name << ": stored rows differ";
    EXPECT_EQ(sha256_hex(all.data(), all.size() * 4), ref["sha256_full"].get<std::string>())
        << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, GgufDequant,
                         ::testing::Values("F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0"));

// Feeds each prompt plus llama.cpp's own greedy continuation; at every step our top-1 must equal
// llama.cpp's where its top-2 log-probabilities are more than `gap` apart, and our log-probability
// of each of llama.cpp's top-5 tokens must be within `tolerance` of its.
void check_teacher_forced(const std::string& gguf, const std::string& reference, double gap,
                          double tolerance, KvCacheType kv_type = kKvCacheF32) {
  const auto model = Model::load(kGguf + gguf);
  const auto refs = read_json(kGguf + reference);
  const int64_t V = model->config().vocab_size;
  ThreadPool pool(2);
  auto backend = kernels::make_cpu_backend(pool);
  model->prepare_weights(*backend);  // as the CLI and server run it (Q4_K, Q8_0 packed)
  double worst = 0, total_diff = 0;
  int compared = 0, diffs = 0;
  std::vector<double> step_worst;
  for (const auto& prompt : refs["prompts"]) {
    auto ids = prompt["ids"].get<std::vector<int32_t>>();
    const auto generated = prompt["generated"].get<std::vector<int32_t>>();
    const size_t n_prompt = ids.size();
    ids.insert(ids.end(), generated.begin(), generated.end());
    Sequence seq(*model, static_cast<int64_t>(ids.size()), kv_type);
    std::vector<float> logits;
    seq.feed(*backend, ids, 512, &logits);
    const auto& steps = prompt["steps"];
    for (size_t i = 0; i < steps.size(); ++i) {
      const float* row = logits.data() + (n_prompt - 1 + i) * V;
      const float max = *std::max_element(row, row + V);
      double total = 0;
      for (int64_t v = 0; v < V; ++v) total += std::exp(double(row[v]) - max);
      const double log_total = max + std::log(total);
      const auto& top = steps[i]["top"];
      const double top_gap = top[0]["logprob"].get<double>() - top[1]["logprob"].get<double>();
      const int32_t ours = static_cast<int32_t>(std::max_element(row, row + V) - row);
      if (top_gap > gap) {
        EXPECT_EQ(ours, top[0]["id"].get<int32_t>())
            << gguf << " step " << i << " (llama.cpp top-2 gap " << top_gap << ")";
      }
      for (const auto& entry : top) {
        const double diff =
            std::fabs(row[entry["id"].get<int32_t>()] - log_total - entry["logprob"].get<double>());
        worst = std::max(worst, diff);
        total_diff += diff;
        ++diffs;
        EXPECT_LE(diff, tolerance) << gguf << " step " << i << " token " << entry["id"];
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 0);
  std::printf(
      "%s (k %s v %s cache) vs %s: top-5 log-probability difference worst %.2e mean %.2e "
      "over %d steps\n",
      gguf.c_str(), kv_cache_type_name(kv_type.k).c_str(), kv_cache_type_name(kv_type.v).c_str(),
      reference.c_str(), worst, total_diff / std::max(diffs, 1), compared);
}

// Against llama.cpp run with an f32 KV cache and flash attention off, which is what junction
// computes (its default f16 cache and flash attention add their own rounding, up to 0.09 in
// these log-probabilities). Q8_0, Q6_K and Q4_0 agree to a mean of 4e-4 or better, so their
// worst cases are single int8 rounding flips of the quantized activations.
TEST(GgufTeacherForced, QuantizedAgreeWithLlamaCpp) {
  for (const char* type : {"Q8_0", "Q6_K", "Q4_0", "Q4_K_M"})
    check_teacher_forced(std::string("qwen3-qbase-") + type + ".gguf",
                         std::string("qwen3-qbase-") + type + ".llamacpp-kvf32.json", 0.02, 0.05);
  check_teacher_forced("qwen3-e2e-Q8_0.gguf", "qwen3-e2e-Q8_0.llamacpp-kvf32.json", 0.02, 0.05);
  check_teacher_forced("qwen3-e2e-Q8_0.gguf", "qwen3-e2e-Q8_0.chat.llamacpp-kvf32.json", 0.02,
                       0.05);
}

// Q5_K_M, with the 0.05 as for the other types (worst 0.026 now). The Q5_K dot product
// is not where the difference comes from: ours equals ggml's ggml_vec_dot_q5_K_q8_K bit for bit
// on every row of this file (unit test Quant.Q5KPathsAgreeBitForBit pins the float order), and
// fed llama.cpp's own inputs, every Q5_K matmul of this model gives llama.cpp's outputs exactly.
// The worst steps are int8 rounding flips of activations that sit on a rounding boundary, from
// last-bit differences between our online-softmax attention and ggml's two-pass softmax (with
// the earlier attention kernel, element 63 of blk.0.attn_output's input at prompt 0, position 3
// lay 22.5000038 steps from zero and rounded the other way: worst 0.063). The Q8_0 and Q4_0
// worst cases above are the same kind of flip.
TEST(GgufTeacherForced, Q5KCloseToLlamaCpp) {
  check_teacher_forced("qwen3-qbase-Q5_K_M.gguf", "qwen3-qbase-Q5_K_M.llamacpp-kvf32.json", 0.02,
                       0.05);
}

// F16 / BF16: llama.cpp rounds activations to F16 / BF16 before each matmul (its README says so);
// junction keeps them in f32 and matches Hugging Face instead (next test). The bounds are that
// rounding's effect: F16 ~2^-11, BF16 ~2^-8 relative.
TEST(GgufTeacherForced, FloatAgreeWithLlamaCppF32Cache) {
  check_teacher_forced("qwen3-qbase-F16.gguf", "qwen3-qbase-F16.llamacpp-kvf32.json", 1e-2, 3e-3);
  check_teacher_forced("qwen3-e2e-BF16.gguf", "qwen3-e2e-BF16.llamacpp-kvf32.json", 5e-2, 3e-2);
  check_teacher_forced("qwen3-e2e-BF16.gguf", "qwen3-e2e-BF16.chat.llamacpp-kvf32.json", 5e-2,
                       3e-2);
}

// With an f16 KV cache, against llama.cpp's default runs (`*.llamacpp.json`: an f16 cache and
// flash attention). Both store the same f16 keys and values; llama.cpp's flash attention also
// rounds each query to f16 and accumulates the weighted values in f16, which junction does not
// (it reads the f16 rows as the floats they hold; the README's llama.cpp f16-vs-f32 runs differ
// by up to 0.09 from that alone). Measured worst / mean top-5 log-probability differences:
// qbase Q8_0 0.078 / 0.014, Q6_K 0.114 / 0.022, Q4_0 0.093 / 0.017, Q4_K_M 0.078 / 0.022,
// Q5_K_M 0.100 / 0.025, F16 0.0068 / 0.0015; e2e Q8_0 0.063 / 0.015 and 0.068 / 0.014 (chat),
// BF16 0.023 / 0.004 and 0.024 / 0.005. Bounds: 0.15 for the quantized files, with top-1 held
// where llama.cpp's top-2 gap exceeds 0.25 (twice that bound's worst step moves a gap by less).
TEST(GgufTeacherForced, F16CacheAgreesWithLlamaCppF16Cache) {
  for (const char* type : {"Q8_0", "Q6_K", "Q4_0", "Q4_K_M", "Q5_K_M"})
    check_teacher_forced(std::string("qwen3-qbase-") + type + ".gguf",
                         std::string("qwen3-qbase-") + type + ".llamacpp.json", 0.25, 0.15,
                         kKvCacheF16);
  check_teacher_forced("qwen3-qbase-F16.gguf", "qwen3-qbase-F16.llamacpp.json", 2e-2, 1.5e-2,
                       kKvCacheF16);
  check_teacher_forced("qwen3-e2e-Q8_0.gguf", "qwen3-e2e-Q8_0.llamacpp.json", 0.25, 0.15,
                       kKvCacheF16);
  check_teacher_forced("qwen3-e2e-Q8_0.gguf", "qwen3-e2e-Q8_0.chat.llamacpp.json", 0.25, 0.15,
                       kKvCacheF16);
  check_teacher_forced("qwen3-e2e-BF16.gguf", "qwen3-e2e-BF16.llamacpp.json", 5e-2, 3e-2,
                       kKvCacheF16);
  check_teacher_forced("qwen3-e2e-BF16.gguf", "qwen3-e2e-BF16.chat.llamacpp.json", 5e-2, 3e-2,
                       kKvCacheF16);
}

// Weights packed at load (Model::prepare_weights: Q4_K in kernels/cpu/packed_k_quant.h, Q8_0 in
// kernels/cpu/packed_q8_0.h): the logits of every position equal the stored layout's bit for bit,
// with the prompt in one batch (the prefill GEMM on packed rows) and token by token (the packed
// decode GEMV).
void check_packed_logits_equal_stored(const std::string& type) {
  const std::string file = kGguf + "qwen3-qbase-" + type + ".gguf";
  const auto stored = Model::load(file);
  const auto packed = Model::load(file);
  ThreadPool pool(2);
  auto backend = kernels::make_cpu_backend(pool);
  const size_t packed_bytes = packed->prepare_weights(*backend);
  // The AVX2 level leaves Q8_0 stored (cpu_backend.cc says why); then both models are stored.
  const bool packs = backend->name() != std::string_view("scalar") &&
                     !(type == "Q8_0" && backend->name() == std::string_view("avx2"));
  if (packs) {
    EXPECT_GT(packed_bytes, 0u);
    EXPECT_NE(packed->weights().layers[0].q_proj.prepared, nullptr);
  }
  const auto refs = read_json(kGguf + "qwen3-qbase-" + type + ".llamacpp-kvf32.json");
  auto ids = refs["prompts"][0]["ids"].get<std::vector<int32_t>>();
  const auto generated = refs["prompts"][0]["generated"].get<std::vector<int32_t>>();
  ids.insert(ids.end(), generated.begin(), generated.end());
  auto logits = [&](const Model& m, int64_t chunk) {
    Sequence seq(m, static_cast<int64_t>(ids.size()), kKvCacheF32);
    std::vector<float> all;
    seq.feed(*backend, ids, chunk, &all);
    return all;
  };
  // Bit for bit in optimized builds; sanitizer instrumentation moves where GCC fuses a multiply
  // and an add (quant_test.cc), so there the logits are held to the reference's 1e-4.
#if defined(__SANITIZE_ADDRESS__)
  constexpr float kTolerance = 1e-4f;
#else
  constexpr float kTolerance = 0.0f;
#endif
  auto same = [&](const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!(std::fabs(a[i] - b[i]) <= kTolerance * (1 + std::fabs(b[i])))) return false;
    return true;
  };
  const auto want = logits(*stored, 512);
  EXPECT_TRUE(same(logits(*packed, 512), want)) << "prefill on packed weights";
  EXPECT_TRUE(same(logits(*packed, 1), logits(*stored, 1))) << "decode on packed weights";
  EXPECT_TRUE(same(logits(*packed, 1), want)) << "packed decode against stored prefill";
}

TEST(GgufModel, PackedKQuantLogitsEqualStoredLayoutInPrefillAndDecode) {
  check_packed_logits_equal_stored("Q4_K_M");
}

TEST(GgufModel, PackedQ8_0LogitsEqualStoredLayoutInPrefillAndDecode) {
  check_packed_logits_equal_stored("Q8_0");
}

// Every level this CPU runs gives the lowest level's logits bit for bit, prompt in one batch and
// token by token, weights packed as the CLI and server run them: so the llama.cpp bounds above,
// met at one level, are met at every level (an AVX2 CPU once computed attention and norms in
// another float order, and Q5_K_M's worst difference went from 0.026 to 0.063).
TEST(GgufModel, EveryLevelGivesTheSameLogits) {
  for (const char* type : {"Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "F16"}) {
    const std::string name = std::string("qwen3-qbase-") + type;
    const auto refs = read_json(kGguf + name + ".llamacpp-kvf32.json");
    auto ids = refs["prompts"][0]["ids"].get<std::vector<int32_t>>();
    const auto generated = refs["prompts"][0]["generated"].get<std::vector<int32_t>>();
    ids.insert(ids.end(), generated.begin(), generated.end());
    ThreadPool pool(2);
    std::vector<float> lowest[2];  // one batch, token by token
    for (const std::string_view level : testing::isa_levels_under_test()) {
      const auto model = Model::load(kGguf + name + ".gguf");
      auto backend = kernels::make_cpu_backend(pool, level);
      model->prepare_weights(*backend);
      for (const int64_t chunk : {int64_t{512}, int64_t{1}}) {
        Sequence seq(*model, static_cast<int64_t>(ids.size()), kKvCacheF32);
        std::vector<float> logits;
        seq.feed(*backend, ids, chunk, &logits);
        std::vector<float>& want = lowest[chunk == 1];
        if (want.empty()) {
          want = logits;
          continue;
        }
        ASSERT_EQ(logits.size(), want.size());
        EXPECT_EQ(std::memcmp(logits.data(), want.data(), logits.size() * 4), 0)
            << name << " at " << level << (chunk == 1 ? ", token by token" : ", one batch")
            << ": logits differ from the lowest level's";
      }
    }
  }
}

// The BF16 GGUF holds the same weights as the safetensors fixture: same logits as HF.
TEST(GgufModel, Bf16FileMatchesHuggingFaceReference) {
  const std::string hf = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";
  const auto model = Model::load(kGguf + "qwen3-e2e-BF16.gguf");
  const auto refs = read_json(hf + "/refs.json");
  const int64_t V = model->config().vocab_size;
  ThreadPool pool(2);
  auto backend = kernels::make_cpu_backend(pool);
  for (const auto& prompt : refs["prompts"]) {
    const auto ids = prompt["ids"].get<std::vector<int32_t>>();
    std::ifstream in(hf + "/" + prompt["logits_file"].get<std::string>(), std::ios::binary);
    std::vector<float> want(ids.size() * V);
    in.read(reinterpret_cast<char*>(want.data()), static_cast<std::streamsize>(want.size() * 4));
    Sequence seq(*model, static_cast<int64_t>(ids.size()), kKvCacheF32);
    std::vector<float> got;
    seq.feed(*backend, ids, 512, &got);
    double max_err = 0;
    for (size_t i = 0; i < want.size(); ++i)
      max_err = std::max(max_err, double(std::fabs(got[i] - want[i])));
    EXPECT_LE(max_err, 1e-3);
  }
}

}  // namespace
}  // namespace junction
