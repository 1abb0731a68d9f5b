// `junction quantize` (quantize_model) against llama.cpp's files in tests/data/gguf (see its
// README): from the HF F32 qbase model, F16 / Q8_0 / Q4_0 / Q6_K / Q5_K_M / Q4_K_M tensors are
// byte-identical to llama-quantize's (so the K-quants' RMSE against the F32 weights is exactly
// llama.cpp's), BF16 is round-to-nearest-even, the metadata holds the same keys and values, and the
// file loads in our engine with logits close to the HF float32 reference. From the real-tokenizer
// e2e model, BF16 and Q8_0 files equal the converter's key for key and tensor for tensor.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "engine/sequence.h"
#include "formats/gguf.h"
#include "formats/safetensors.h"
#include "kernels/ops.h"
#include "model/model.h"
#include "quantize/hf_gguf_metadata.h"
#include "quantize/quantize_model.h"

namespace junction {
namespace {

const std::string kData = JUNCTION_TEST_DATA;
const std::string kGguf = kData + "/gguf/";
const std::string kQbase = kData + "/models/qwen3-qbase-f32";
const std::string kE2e = kData + "/models/qwen3-e2e-bf16";

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("junction_q_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::vector<float> read_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<float> v(static_cast<size_t>(in.tellg()) / 4);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

// F32 weights of the HF model by GGUF name (the fixture is float32).
std::map<std::string, std::vector<float>> f32_weights() {
  std::map<std::string, std::vector<float>> w;
  const auto ckpt = SafetensorsCheckpoint::open(kQbase);
  for (const auto& [name, t] : ckpt->tensors()) {
    std::vector<float> v(t.bytes / 4);
    std::memcpy(v.data(), t.data, t.bytes);
    w[gguf_tensor_name(name)] = std::move(v);
  }
  return w;
}

bool same_value(const GgufValue& a, const GgufValue& b) {
  if (a.type != b.type || a.scalar != b.scalar || a.array_type != b.array_type ||
      a.array.size() != b.array.size())
    return false;
  for (size_t i = 0; i < a.array.size(); ++i)
    if (!same_value(a.array[i], b.array[i])) return false;
  return true;
}

// Max |logit - HF float32 logit| over both reference prompts.
double max_logit_error(const std::string& gguf_path) {
  const auto model = Model::load(gguf_path);
  const auto refs = nlohmann::json::parse(std::ifstream(kQbase + "/refs.json"));
  ThreadPool pool(2);
  auto backend = kernels::make_cpu_backend(pool);
  double max_err = 0;
  for (const auto& prompt : refs["prompts"]) {
    const auto ids = prompt["ids"].get<std::vector<int32_t>>();
    const auto want = read_floats(kQbase + "/" + prompt["logits_file"].get<std::string>());
    Sequence seq(*model, static_cast<int64_t>(ids.size()));
    std::vector<float> got;
    seq.feed(*backend, ids, 512, &got);
    EXPECT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size() && i < got.size(); ++i)
      max_err = std::max(max_err, double(std::fabs(got[i] - want[i])));
  }
  return max_err;
}

struct QbaseCase {
  std::string type;        // ours
  std::string llama;       // llama.cpp file suffix; empty: none shipped
  double max_logit_error;  // vs HF float32
};

class QuantizeQbase : public ::testing::TestWithParam<QbaseCase> {};

TEST_P(QuantizeQbase, MatchesLlamaCppAndStaysCloseToF32) {
  const QbaseCase& c = GetParam();
  const std::string out = temp_path("qbase-" + c.type + ".gguf");
  QuantizeOptions options;
  options.type = c.type;
  options.tokenizer_from = kGguf + "qwen3-qbase-F16.gguf";  // the checkpoint has no tokenizer
  options.n_threads = 2;
  int progress_calls = 0;
  options.on_progress = [&](const QuantizeProgress& p) {
    ++progress_calls;
    EXPECT_LE(p.bytes_read, p.bytes_total);
  };
  const QuantizeResult result = quantize_model(kQbase, out, options);
  EXPECT_GT(progress_calls, 25);
  const auto ours = GgufFile::open(out);
  EXPECT_EQ(ours->file_bytes(), result.output_bytes);
  const auto f32 = f32_weights();

  if (!c.llama.empty()) {
    const auto ref = GgufFile::open(kGguf + "qwen3-qbase-" + c.llama + ".gguf");
    // Same keys, same values (general.name is the same too: both come from the folder name).
    EXPECT_EQ(ours->metadata().size(), ref->metadata().size());
    for (const auto& [key, value] : ref->metadata()) {
      const GgufValue* mine = ours->find(key);
      ASSERT_NE(mine, nullptr) << key;
      EXPECT_TRUE(same_value(*mine, value)) << c.type << ": metadata " << key;
    }
    ASSERT_EQ(ours->tensors().size(), ref->tensors().size());
    int identical = 0;
    for (const auto& t : ref->tensors()) {
      const GgufTensor* mine = ours->tensor(t.name);
      ASSERT_NE(mine, nullptr) << t.name;
      EXPECT_EQ(mine->dtype, t.dtype) << c.type << " " << t.name;
      EXPECT_EQ(mine->ne, t.ne) << t.name;
      if (mine->dtype != t.dtype || mine->bytes != t.bytes) continue;
      const bool same = std::memcmp(mine->data, t.data, t.bytes) == 0;
      identical += same;
      EXPECT_TRUE(same) << c.type << ": " << t.name << " differs from llama.cpp's bytes";
    }
    RecordProperty("byte_identical_tensors",
                   std::to_string(identical) + "/" + std::to_string(ref->tensors().size()));
    std::printf("[%s] %d/%zu tensors byte-identical to llama.cpp's\n", c.type.c_str(), identical,
                ref->tensors().size());
  } else {  // BF16: every 2-D tensor is the round-to-nearest-even of the F32 weights
    for (const auto& t : ours->tensors()) {
      const auto& w = f32.at(t.name);
      ASSERT_EQ(t.dtype, t.ne.size() == 2 && t.name.find("_norm") == std::string::npos
                             ? DType::BF16
                             : DType::F32);
      if (t.dtype != DType::BF16) continue;
      const auto* h = reinterpret_cast<const uint16_t*>(t.data);
      for (size_t i = 0; i < w.size(); ++i)
        ASSERT_EQ(h[i], f32_to_bf16(w[i])) << t.name << " element " << i;
    }
  }
  const double err = max_logit_error(out);
  std::printf("[%s] max |logit - HF f32| = %.4g\n", c.type.c_str(), err);
  RecordProperty("max_abs_logit_error", std::to_string(err));
  EXPECT_LE(err, c.max_logit_error) << c.type;
  std::filesystem::remove(out);
}

INSTANTIATE_TEST_SUITE_P(
    Types, QuantizeQbase,
    ::testing::Values(QbaseCase{"f16", "F16", 0.05}, QbaseCase{"bf16", "", 0.3},
                      QbaseCase{"q8_0", "Q8_0", 0.3}, QbaseCase{"q4_0", "Q4_0", 3.0},
                      QbaseCase{"q6_k", "Q6_K", 1.0}, QbaseCase{"q5_k_m", "Q5_K_M", 1.5},
                      QbaseCase{"q4_k_m", "Q4_K_M", 3.0}),
    [](const auto& info) { return info.param.type; });

// Keys in file order (GgufFile keeps a map), by walking the header.
std::vector<std::string> key_order(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  auto u32 = [&] {
    uint32_t v = 0;
    in.read(reinterpret_cast<char*>(&v), 4);
    return v;
  };
  auto u64 = [&] {
    uint64_t v = 0;
    in.read(reinterpret_cast<char*>(&v), 8);
    return v;
  };
  const int sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  std::function<void(uint32_t)> skip = [&](uint32_t t) {
    if (t == 8) {
      in.seekg(static_cast<std::streamoff>(u64()), std::ios::cur);
    } else if (t == 9) {
      const uint32_t et = u32();
      const uint64_t n = u64();
      for (uint64_t i = 0; i < n; ++i) skip(et);
    } else {
      in.seekg(sizes[t], std::ios::cur);
    }
  };
  u32(), u32(), u64();
  const uint64_t n = u64();
  std::vector<std::string> keys;
  for (uint64_t i = 0; i < n; ++i) {
    std::string k(u64(), '\0');
    in.read(k.data(), static_cast<std::streamsize>(k.size()));
    keys.push_back(k);
    skip(u32());
  }
  return keys;
}

// The converter's own files (real Qwen3 tokenizer): identical metadata in the same order, the
// same tensors in the same order with the same bytes.
class QuantizeE2e : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizeE2e, EqualsConvertHfToGguf) {
  const std::string out = temp_path("e2e-" + GetParam() + ".gguf");
  QuantizeOptions options;
  options.type = GetParam();
  quantize_model(kE2e, out, options);
  const std::string ref_path =
      kGguf + "qwen3-e2e-" + (GetParam() == "bf16" ? "BF16" : "Q8_0") + ".gguf";
  EXPECT_EQ(key_order(out), key_order(ref_path));
  const auto ours = GgufFile::open(out), ref = GgufFile::open(ref_path);
  for (const auto& [key, value] : ref->metadata()) {
    const GgufValue* mine = ours->find(key);
    ASSERT_NE(mine, nullptr) << key;
    EXPECT_TRUE(same_value(*mine, value)) << key;
  }
  ASSERT_EQ(ours->tensors().size(), ref->tensors().size());
  for (size_t i = 0; i < ref->tensors().size(); ++i) {
    const GgufTensor &a = ours->tensors()[i], &b = ref->tensors()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.dtype, b.dtype) << a.name;
    EXPECT_EQ(a.ne, b.ne) << a.name;
    EXPECT_TRUE(a.bytes == b.bytes && std::memcmp(a.data, b.data, a.bytes) == 0)
        << a.name << " differs";
  }
  EXPECT_EQ(ours->file_bytes(), ref->file_bytes());
  std::filesystem::remove(out);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantizeE2e, ::testing::Values("bf16", "q8_0"));

// A GGUF input quantized to its own type is copied through: llama-quantize's tensor and key
// order (file_type last), so the file comes out byte for byte the same.
TEST(QuantizeGguf, SameTypeReproducesLlamaQuantizeFile) {
  const std::string out = temp_path("requant.gguf");
  QuantizeOptions options;
  options.type = "q8_0";
  quantize_model(kGguf + "qwen3-qbase-Q8_0.gguf", out, options);
  std::ifstream a(out, std::ios::binary), b(kGguf + "qwen3-qbase-Q8_0.gguf", std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(a)), {}),
      sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(sa.size(), sb.size());
  EXPECT_TRUE(sa == sb);
  std::filesystem::remove(out);
}

TEST(QuantizeGguf, RequantizesAGgufAndLoads) {
  const std::string out = temp_path("f16-to-q4km.gguf");
  QuantizeOptions options;
  options.type = "q4_k_m";
  quantize_model(kGguf + "qwen3-qbase-F16.gguf", out, options);
  const auto g = GgufFile::open(out);
  EXPECT_EQ(g->get_int("general.file_type"), 15);
  EXPECT_EQ(g->tensor("blk.1.ffn_down.weight")->dtype, DType::Q6_K);
  EXPECT_EQ(g->tensor("blk.0.ffn_down.weight")->dtype, DType::Q4_K);
  EXPECT_EQ(g->tensor("output.weight")->dtype, DType::Q6_K);
  const auto keys = key_order(out);
  EXPECT_EQ(keys.back(), "general.file_type");
  EXPECT_LE(max_logit_error(out), 3.0);
  std::filesystem::remove(out);
}

TEST(QuantizeRecipe, FollowsLlamaCpp) {
  const auto q4km = *find_quantize_target("Q4_K_M");
  const std::vector<int64_t> mat = {4096, 4096}, embd = {4096, 151936};
  // 36 layers: more bits for the first and last eighth and every third layer in between.
  std::vector<int> more;
  for (int i = 0; i < 36; ++i)
    if (tensor_quant_type(q4km, "blk." + std::to_string(i) + ".attn_v.weight", mat, i, 36, true) ==
        DType::Q6_K)
      more.push_back(i);
  EXPECT_EQ(more,
            (std::vector<int>{0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 31, 32, 33, 34, 35}));
  EXPECT_EQ(tensor_quant_type(q4km, "blk.5.ffn_down.weight", mat, 5, 36, true), DType::Q4_K);
  EXPECT_EQ(tensor_quant_type(q4km, "blk.6.ffn_down.weight", mat, 6, 36, true), DType::Q6_K);
  EXPECT_EQ(tensor_quant_type(q4km, "output.weight", embd, -1, 36, true), DType::Q6_K);
  EXPECT_EQ(tensor_quant_type(q4km, "token_embd.weight", embd, -1, 36, true), DType::Q4_K);
  EXPECT_EQ(tensor_quant_type(q4km, "token_embd.weight", embd, -1, 36, false),
            DType::Q6_K);  // tied
  EXPECT_EQ(tensor_quant_type(q4km, "blk.0.attn_norm.weight", {4096}, 0, 36, true), DType::F32);
  EXPECT_EQ(tensor_quant_type(q4km, "blk.0.attn_q.weight", {96, 64}, 0, 36, true),
            DType::Q5_0);  // not whole super-blocks
  const auto q8 = *find_quantize_target("q8_0");
  EXPECT_EQ(tensor_quant_type(q8, "output.weight", embd, -1, 36, true), DType::Q8_0);
  const auto q40 = *find_quantize_target("q4_0");
  EXPECT_EQ(tensor_quant_type(q40, "output.weight", embd, -1, 36, true), DType::Q6_K);
  EXPECT_EQ(tensor_quant_type(q40, "blk.0.ffn_down.weight", mat, 0, 36, true), DType::Q4_0);
  EXPECT_FALSE(find_quantize_target("q3_k_m").has_value());
}

// Mistral 7B v0.1's sliding window survives conversion (the converter drops it), so the GGUF
// computes what config.json says; v0.3's null window writes nothing.
TEST(HfGgufMetadata, MistralSlidingWindowIsKept) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("junction_q_mistral_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto config =
      nlohmann::json::parse(std::ifstream(kData + "/models/mistral-tiny-bf16/config.json"));
  auto window = [&] {
    std::ofstream(dir / "config.json") << config.dump();
    for (const auto& [key, value] : hf_model_metadata(dir.string(), 1000))
      if (key == "llama.attention.sliding_window") return value.as_int();
    return int64_t{0};
  };
  EXPECT_EQ(window(), 0);  // null
  config["sliding_window"] = 4096;
  EXPECT_EQ(window(), 4096);
  std::filesystem::remove_all(dir);
}

TEST(HfGgufMetadata, NamesAndSizeLabels) {
  EXPECT_EQ(gguf_tensor_name("model.layers.12.mlp.down_proj.weight"), "blk.12.ffn_down.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.0.self_attn.q_proj.bias"), "blk.0.attn_q.bias");
  EXPECT_EQ(gguf_tensor_name("lm_head.weight"), "output.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.0.unknown.weight"), "");
  EXPECT_EQ(gguf_size_label(3671552), "3.7M");
  EXPECT_EQ(gguf_size_label(8190735360ull), "8.2B");
  EXPECT_EQ(gguf_size_label(494032768), "494M");
  EXPECT_EQ(gguf_size_label(14770033664ull), "15B");
}

}  // namespace
}  // namespace junction
