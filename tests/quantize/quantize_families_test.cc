// `junction quantize` for every family, HF fixture -> GGUF -> our engine, against the Hugging
// Face reference of the folder (tests/data/models/*/refs.json, made with transformers):
// - F16: every prompt logit is within the F16 bound, 2e-2 for checkpoints stored in 16 bits (F16
//   holds their values exactly; the bound of the golden test), 5e-2 for F32 ones (F16's rounding
//   of the weights, as the qbase test), and the greedy continuation equals the reference's. A
//   divergence is accepted only after a reference step whose top-2 margin is below 1e-3 (16-bit
//   checkpoints, as the golden test) or below twice the F16 bound (F32 checkpoints: rounding the
//   weights to F16 may move two logits that far apart).
// - Q8_0 and Q4_K_M: fed the F16 file's greedy tokens, how often the top-1 token equals the F16
//   file's where the F16 file's top-2 margin exceeds 0.02, and the largest logit difference, are
//   printed for the record (the table of issue 21). They are not asserted here: on these
//   random-weight models quantization moves logits by 0.2 (Q8_0) to 4 (Q4_K_M), far beyond 0.02.
//   What the quantized files must compute is llama.cpp's own result on the same bytes
//   (GgufFamilies in tests/golden/gguf_test.cc).
// Each family exercises its own layout: Llama's permuted q/k and rope_freqs (Llama 3.1's llama3
// scaling), Mistral as llama, Gemma's (1 + w) norms and tied embedding, Phi-3's fused attn_qkv
// and double-width ffn_up, Qwen2's biases, Qwen3's q/k norms.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "engine/sampler.h"
#include "engine/sequence.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "kernels/ops.h"
#include "model/model.h"
#include "quantize/quantize_model.h"

namespace junction {
namespace {

const std::string kModels = std::string(JUNCTION_TEST_DATA) + "/models/";

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("junction_qf_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::vector<float> read_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<float> v(static_cast<size_t>(in.tellg()) / 4);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

// Greedy decoding from `prompt`, the generated tokens fed back one at a time.
std::vector<int32_t> greedy(const Model& model, kernels::Backend& backend,
                            const std::vector<int32_t>& prompt, size_t n) {
  Sequence seq(model, static_cast<int64_t>(prompt.size() + n));
  std::span<float> logits = seq.feed(backend, prompt, 512);
  std::vector<int32_t> out;
  while (out.size() < n) {
    out.push_back(argmax(logits));
    const int32_t next[1] = {out.back()};
    if (out.size() < n) logits = seq.feed(backend, next);
  }
  return out;
}

// Logits of every position of `ids`: [ids.size(), vocab].
std::vector<float> all_logits(const Model& model, kernels::Backend& backend,
                              const std::vector<int32_t>& ids) {
  Sequence seq(model, static_cast<int64_t>(ids.size()));
  std::vector<float> logits;
  seq.feed(backend, ids, 512, &logits);
  return logits;
}

struct Quantized {
  std::string path;
  std::unique_ptr<Model> model;
};

Quantized quantize(const std::string& fixture, const std::string& type) {
  Quantized q{temp_path(fixture + "-" + type + ".gguf"), nullptr};
  QuantizeOptions options;
  options.type = type;
  options.n_threads = 2;
  quantize_model(kModels + fixture, q.path, options);
  q.model = Model::load(q.path);
  return q;
}

class QuantizeFamily : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizeFamily, F16MatchesHfAndQuantizedAreMeasured) {
  const std::string fixture = GetParam();
  const std::string dir = kModels + fixture;
  const auto refs = nlohmann::json::parse(std::ifstream(dir + "/refs.json"));
  const bool f32 = refs["storage_dtype"] == "float32";
  const double f16_bound = f32 ? 5e-2 : 2e-2;
  const double near_tie = f32 ? 2 * f16_bound : 1e-3;
  ThreadPool pool(2);
  auto backend = kernels::make_cpu_backend(pool);

  Quantized f16 = quantize(fixture, "f16");
  const int64_t V = f16.model->config().vocab_size;
  size_t equal_tokens = 0, all_tokens = 0;
  double f16_err = 0;
  std::vector<std::vector<int32_t>> forced;  // prompt + the F16 file's greedy tokens
  for (const auto& prompt : refs["prompts"]) {
    const auto ids = prompt["ids"].get<std::vector<int32_t>>();
    const auto want = read_floats(dir + "/" + prompt["logits_file"].get<std::string>());
    const auto got = all_logits(*f16.model, *backend, ids);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      f16_err = std::max(f16_err, double(std::fabs(got[i] - want[i])));

    const auto ref = prompt["greedy"].get<std::vector<int32_t>>();
    const auto margins = prompt["greedy_margins"].get<std::vector<double>>();
    const auto tokens = greedy(*f16.model, *backend, ids, ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      if (tokens[i] != ref[i]) {
        EXPECT_LT(margins[i], near_tie) << fixture << " F16: greedy token " << i << " is "
                                        << tokens[i] << ", reference " << ref[i];
        break;
      }
      ++equal_tokens;
    }
    all_tokens += ref.size();
    std::printf("%s f16 greedy:", fixture.c_str());
    for (int32_t t : tokens) std::printf(" %d", t);
    std::printf("\n");
    forced.push_back(ids);
    forced.back().insert(forced.back().end(), tokens.begin(), tokens.end());
  }
  EXPECT_LE(f16_err, f16_bound) << fixture;
  std::printf("| %s | f16 | greedy %zu/%zu equal to HF | max logit diff vs HF %.3g |\n",
              fixture.c_str(), equal_tokens, all_tokens, f16_err);

  for (const std::string type : {"q8_0", "q4_k_m"}) {
    Quantized q = quantize(fixture, type);
    int checked = 0, agree = 0;
    double max_diff = 0;
    for (const auto& ids : forced) {
      const auto base = all_logits(*f16.model, *backend, ids);
      const auto got = all_logits(*q.model, *backend, ids);
      ASSERT_EQ(base.size(), got.size());
      for (size_t i = 0; i < base.size(); ++i)
        max_diff = std::max(max_diff, double(std::fabs(got[i] - base[i])));
      for (size_t pos = 0; pos < ids.size(); ++pos) {
        const float* row = base.data() + pos * V;
        const int32_t top = static_cast<int32_t>(std::max_element(row, row + V) - row);
        float second = -INFINITY;
        for (int64_t v = 0; v < V; ++v)
          if (v != top) second = std::max(second, row[v]);
        if (row[top] - second <= 0.02f) continue;
        const float* mine = got.data() + pos * V;
        const int32_t ours = static_cast<int32_t>(std::max_element(mine, mine + V) - mine);
        ++checked;
        agree += ours == top;
      }
    }
    for (const auto& prompt : refs["prompts"]) {  // for the comparison with llama.cpp's
      std::printf("%s %s greedy:", fixture.c_str(), type.c_str());
      for (int32_t t : greedy(*q.model, *backend, prompt["ids"].get<std::vector<int32_t>>(),
                              prompt["greedy"].size()))
        std::printf(" %d", t);
      std::printf("\n");
    }
    std::printf(
        "| %s | %s | top-1 %d/%d equal to F16 where its margin > 0.02 | max logit "
        "diff vs F16 %.3g |\n",
        fixture.c_str(), type.c_str(), agree, checked, max_diff);
    std::filesystem::remove(q.path);
  }
  std::filesystem::remove(f16.path);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, QuantizeFamily,
                         ::testing::Values("qwen3-tiny-tied-f32", "qwen2-tiny-bias-f32",
                                           "llama-tiny-f16", "mistral-tiny-bf16", "gemma-tiny-f32",
                                           "phi3-tiny-f32"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& ch : name)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

// llama-tiny-f16's config: head_dim 32, rope_theta 500000, llama3 scaling with factor 8,
// low_freq_factor 1, high_freq_factor 4, original_max_position_embeddings 64. Worked by hand from
// the converter's formula: wavelength_i = 2 pi 500000^(i/16), so pair 0 (6.28) and pair 1
// (14.27) are under 64/4 = 16 (factor 1), pair 2 (32.40) lies between 16 and 64:
// smooth = (64/32.40 - 1) / 3 = 0.3251, factor = 1 / ((1 - 0.3251)/8 + 0.3251) = 2.442; pairs 3..15
// (73.6 and up) are over 64 (factor 8). No rope.scaling.* key: the tensor is the whole story.
TEST(QuantizeLlama3, WritesRopeFreqsAsTheConverterDoes) {
  Quantized q = quantize("llama-tiny-f16", "f16");
  const auto g = GgufFile::open(q.path);
  const GgufTensor* t = g->tensor("rope_freqs.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, DType::F32);
  ASSERT_EQ(t->ne, std::vector<int64_t>{16});
  const auto* f = reinterpret_cast<const float*>(t->data);
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_EQ(f[1], 1.0f);
  EXPECT_NEAR(f[2], 2.442, 1e-3);
  for (int i = 3; i < 16; ++i) EXPECT_EQ(f[i], 8.0f) << i;
  EXPECT_EQ(g->find("llama.rope.scaling.type"), nullptr);
  EXPECT_EQ(g->tensors().front().name, "rope_freqs.weight");  // generate_extra_tensors first
  std::filesystem::remove(q.path);
}

// A SentencePiece-style tokenizer.json (Llama 2, Mistral, Gemma, Phi-3: BPE with byte fallback
// and the U+2581 marker) with no tokenizer.model beside it is refused with a pointer to the
// tokenizer.model and --tokenizer-from, never written as GPT-2 BPE; with --tokenizer-from the
// folder converts (with tokenizer.model: hf_gguf_tokenizer_test.cc).
TEST(QuantizeTokenizer, SentencePieceStyleVocabularyIsRefusedUnlessOneIsGiven) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("junction_qf_spm_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* name : {"config.json", "model.safetensors"})
    std::filesystem::copy_file(kModels + "mistral-tiny-bf16/" + name, dir / name,
                               std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir / "tokenizer.json")
      << R"({"model":{"type":"BPE","byte_fallback":true,"vocab":{"<unk>":0},"merges":[]},)"
      << R"("pre_tokenizer":{"type":"Metaspace","replacement":"▁"}})";
  const std::string out = temp_path("spm.gguf");
  QuantizeOptions options;
  options.type = "q8_0";
  try {
    quantize_model(dir.string(), out, options);
    ADD_FAILURE() << "a SentencePiece-style tokenizer.json was converted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("--tokenizer-from"), std::string::npos) << e.what();
  }
  options.tokenizer_from = std::string(JUNCTION_TEST_DATA) + "/gguf/qwen3-vocab-only.gguf";
  EXPECT_NO_THROW(quantize_model(dir.string(), out, options));
  std::filesystem::remove(out);
  std::filesystem::remove_all(dir);
}

// A copy of `from` with extra keys and F32 vectors added and the named tensors left out.
void copy_gguf(const std::string& from, const std::string& to,
               const std::vector<std::pair<std::string, GgufValue>>& keys,
               const std::vector<std::pair<std::string, std::vector<float>>>& vectors,
               const std::vector<std::string>& drop = {}) {
  const auto g = GgufFile::open(from);
  GgufWriter w(to);
  for (const auto& [key, value] : g->metadata()) w.add(key, value);
  for (const auto& [key, value] : keys) w.add(key, value);
  std::vector<const GgufTensor*> kept;
  for (const auto& t : g->tensors()) {
    if (std::find(drop.begin(), drop.end(), t.name) != drop.end()) continue;
    w.add_tensor({t.name, t.dtype, t.ne});
    kept.push_back(&t);
  }
  for (const auto& [name, v] : vectors)
    w.add_tensor({name, DType::F32, {static_cast<int64_t>(v.size())}});
  w.write_header();
  for (const GgufTensor* t : kept) w.write_data(t->data, t->bytes);
  for (const auto& [name, v] : vectors) w.write_data(v.data(), v.size() * sizeof(float));
  w.finish();
}

std::string load_error(const std::string& path) {
  try {
    Model::load(path);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// What the loader does not compute is refused by name, never skipped: an unknown <arch>.* key,
// an unknown tensor, Phi-3's longrope factor tensors.
TEST(GgufLoad, RefusesKeysAndTensorsItDoesNotUnderstandByName) {
  Quantized gemma = quantize("gemma-tiny-f32", "f16");
  const std::string copy = temp_path("gemma-copy.gguf");
  copy_gguf(gemma.path, copy, {{"gemma.attn_logit_softcapping", gguf_float32(50.0f)}}, {});
  EXPECT_NE(load_error(copy).find("'gemma.attn_logit_softcapping' is not understood"),
            std::string::npos)
      << load_error(copy);
  copy_gguf(gemma.path, copy, {}, {{"blk.0.post_attention_norm.weight", std::vector<float>(128)}});
  EXPECT_NE(load_error(copy).find("'blk.0.post_attention_norm.weight' is not understood"),
            std::string::npos)
      << load_error(copy);

  Quantized phi3 = quantize("phi3-tiny-f32", "f16");
  copy_gguf(phi3.path, copy, {{"phi3.rope.scaling.attn_factor", gguf_float32(1.19f)}},
            {{"rope_factors_long.weight", std::vector<float>(16, 1.0f)},
             {"rope_factors_short.weight", std::vector<float>(16, 1.0f)}});
  EXPECT_NE(load_error(copy).find("rope_factors_long.weight' (Phi-3 longrope"), std::string::npos)
      << load_error(copy);

  // rope_freqs.weight of the wrong length is an error, not a truncated table.
  Quantized llama = quantize("llama-tiny-f16", "f16");
  copy_gguf(llama.path, copy, {}, {{"rope_freqs.weight", std::vector<float>(8, 1.0f)}},
            {"rope_freqs.weight"});
  EXPECT_NE(load_error(copy).find("rope_freqs.weight' must be F32 of 16 elements"),
            std::string::npos)
      << load_error(copy);
  for (const auto& p : {copy, gemma.path, phi3.path, llama.path}) std::filesystem::remove(p);
}

// The factors change what this fixture computes (its context is past the original 64): without
// rope_freqs.weight the same file's greedy tokens leave HF's on every prompt, so the F16 test
// above passing is the loader applying them.
TEST(GgufLoad, Llama3FactorsAreWhatMakesTheLlamaFixtureMatch) {
  Quantized llama = quantize("llama-tiny-f16", "f16");
  const std::string copy = temp_path("llama-no-freqs.gguf");
  copy_gguf(llama.path, copy, {}, {}, {"rope_freqs.weight"});
  const auto model = Model::load(copy);
  const auto refs = nlohmann::json::parse(std::ifstream(kModels + "llama-tiny-f16/refs.json"));
  ThreadPool pool(2);
  auto backend = kernels::make_cpu_backend(pool);
  int equal = 0;
  for (const auto& prompt : refs["prompts"]) {
    const auto want = prompt["greedy"].get<std::vector<int32_t>>();
    equal +=
        greedy(*model, *backend, prompt["ids"].get<std::vector<int32_t>>(), want.size()) == want;
  }
  EXPECT_EQ(equal, 0);
  std::filesystem::remove(copy);
  std::filesystem::remove(llama.path);
}

// The GGUF files above as llama.cpp computes them (tests/data/gguf/families, see its README):
// our quantize output is byte for byte the file llama.cpp ran (its sha256), and fed the same
// tokens (the prompt and llama.cpp's own greedy continuation) our top-1 equals llama.cpp's at
// every step where its top-2 log-probabilities are more than `gap` apart (1e-2 for F16, 0.02
// quantized, as GgufTeacherForced in tests/golden/gguf_test.cc), and our log-probabilities of
// its top-5 tokens are within `tolerance` of its. A misread layout moves them by whole units; the
// tolerances hold the two rounding differences these files show: llama.cpp rounds activations
// to F16 before an F16 matmul (junction keeps them in F32), 2^-11 relative, which on logits of up
// to 8 (gemma) is up to 8e-3 in a log-probability (llama.cpp's own F16 result is 7.4e-3 from HF's
// there): F16 1e-2; and int8 rounding flips of quantized activations, whose effect grows as the
// hidden size shrinks (worst 0.078, gemma Q8_0, hidden 128; 0.05 suffices at hidden 256): 0.1.
class QuantizeFamilyLlamaCpp : public ::testing::TestWithParam<std::string> {};

std::string sha256_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back("0123456789abcdef"[digest[i] >> 4]);
    out.push_back("0123456789abcdef"[digest[i] & 15]);
  }
  return out;
}

TEST_P(QuantizeFamilyLlamaCpp, OurEngineComputesWhatLlamaCppComputesOnTheSameFile) {
  const std::string fixture = GetParam();
  ThreadPool pool(2);
  auto backend = kernels::make_cpu_backend(pool);
  for (const std::string type : {"F16", "Q8_0", "Q4_K_M"}) {
    std::string lower = type;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    Quantized q = quantize(fixture, lower);
    q.model->prepare_weights(*backend);  // as the CLI and server run it
    const auto refs =
        nlohmann::json::parse(std::ifstream(std::string(JUNCTION_TEST_DATA) + "/gguf/families/" +
                                            fixture + "-" + type + ".llamacpp-kvf32.json"));
    EXPECT_EQ(sha256_hex(q.path), refs["file_sha256"]) << fixture << " " << type;
    const double gap = type == "F16" ? 1e-2 : 0.02, tolerance = type == "F16" ? 1e-2 : 0.1;
    const int64_t V = q.model->config().vocab_size;
    double worst = 0;
    int steps = 0, top1_checked = 0;
    for (const auto& prompt : refs["prompts"]) {
      auto ids = prompt["ids"].get<std::vector<int32_t>>();
      const size_t n_prompt = ids.size();
      const auto generated = prompt["generated"].get<std::vector<int32_t>>();
      ids.insert(ids.end(), generated.begin(), generated.end());
      const auto logits = all_logits(*q.model, *backend, ids);
      for (size_t i = 0; i < prompt["steps"].size(); ++i) {
        const float* row = logits.data() + (n_prompt - 1 + i) * V;
        const float max = *std::max_element(row, row + V);
        double total = 0;
        for (int64_t v = 0; v < V; ++v) total += std::exp(double(row[v]) - max);
        const double log_total = max + std::log(total);
        const auto& top = prompt["steps"][i]["top"];
        const double top_gap = top[0]["logprob"].get<double>() - top[1]["logprob"].get<double>();
        if (top_gap > gap) {
          ++top1_checked;
          EXPECT_EQ(std::max_element(row, row + V) - row, top[0]["id"].get<int64_t>())
              << fixture << " " << type << " step " << i << " (llama.cpp top-2 gap " << top_gap
              << ")";
        }
        for (const auto& entry : top) {
          const double diff = std::fabs(row[entry["id"].get<int32_t>()] - log_total -
                                        entry["logprob"].get<double>());
          worst = std::max(worst, diff);
          EXPECT_LE(diff, tolerance) << fixture << " " << type << " step " << i;
        }
        ++steps;
      }
    }
    std::printf(
        "| %s | %s | vs llama.cpp: top-1 checked at %d/%d steps, worst top-5 logprob "
        "diff %.2e |\n",
        fixture.c_str(), type.c_str(), top1_checked, steps, worst);
    std::filesystem::remove(q.path);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, QuantizeFamilyLlamaCpp,
                         ::testing::Values("qwen3-tiny-tied-f32", "qwen2-tiny-bias-f32",
                                           "llama-tiny-f16", "mistral-tiny-bf16", "gemma-tiny-f32",
                                           "phi3-tiny-f32"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& ch : name)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace junction
