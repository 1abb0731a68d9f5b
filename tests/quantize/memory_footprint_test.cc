// memory_footprint: the numbers `junction info` prints, on the Qwen3-8B shape (BF16 ~16 GB,
// Q4_K_M ~5 GB by llama.cpp's recipe, 144 KiB of f16 KV per token) and on a fixture read from
// its headers only.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/memory_footprint.h"
#include "quantize/quantize_model.h"

namespace junction {
namespace {

// Qwen3-8B (DeepSeek-R1-0528-Qwen3-8B has the same shape), GGUF names and ggml shapes.
ModelConfig qwen3_8b() {
  ModelConfig c;
  c.model_type = "qwen3";
  c.vocab_size = 151936;
  c.hidden_size = 4096;
  c.intermediate_size = 12288;
  c.num_hidden_layers = 36;
  c.num_attention_heads = 32;
  c.num_key_value_heads = 8;
  c.head_dim = 128;
  c.max_position_embeddings = 131072;
  return c;
}

std::vector<TensorBytes> tensors_as(const ModelConfig& c, const std::string& type) {
  const auto target = *find_quantize_target(type);
  struct Shape {
    std::string name;
    std::vector<int64_t> ne;
  };
  std::vector<Shape> shapes = {{"token_embd.weight", {c.hidden_size, c.vocab_size}},
                               {"output.weight", {c.hidden_size, c.vocab_size}},
                               {"output_norm.weight", {c.hidden_size}}};
  const int64_t q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim;
  for (int i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    for (const Shape& s :
         std::vector<Shape>{{"attn_norm.weight", {c.hidden_size}},
                            {"ffn_norm.weight", {c.hidden_size}},
                            {"attn_q_norm.weight", {c.head_dim}},
                            {"attn_k_norm.weight", {c.head_dim}},
                            {"attn_q.weight", {c.hidden_size, q}},
                            {"attn_k.weight", {c.hidden_size, kv}},
                            {"attn_v.weight", {c.hidden_size, kv}},
                            {"attn_output.weight", {q, c.hidden_size}},
                            {"ffn_gate.weight", {c.hidden_size, c.intermediate_size}},
                            {"ffn_up.weight", {c.hidden_size, c.intermediate_size}},
                            {"ffn_down.weight", {c.intermediate_size, c.hidden_size}}})
      shapes.push_back({p + s.name, s.ne});
  }
  std::vector<TensorBytes> out;
  for (const auto& s : shapes) {
    const DType t = tensor_quant_type(
        target, s.name, s.ne, s.name.rfind("blk.", 0) == 0 ? std::stoi(s.name.substr(4)) : -1,
        static_cast<int>(c.num_hidden_layers), true);
    const uint64_t rows = s.ne.size() > 1 ? static_cast<uint64_t>(s.ne[1]) : 1;
    out.push_back({s.name, t, rows * static_cast<uint64_t>(s.ne[0]), rows * row_size(t, s.ne[0])});
  }
  return out;
}

TEST(MemoryFootprint, Qwen3_8BAtBf16AndQ4_K_M) {
  const ModelConfig c = qwen3_8b();
  const MemoryFootprint bf16 = memory_footprint(c, tensors_as(c, "bf16"), 4096);
  EXPECT_EQ(bf16.n_params, 8190735360ull);
  EXPECT_NEAR(double(bf16.weight_bytes), 16.38e9, 0.05e9);  // "16 GB at BF16"
  EXPECT_EQ(bf16.kv_bytes_per_token_f16, 144u * 1024);      // 2 * 36 * 8 * 128 * 2 bytes
  EXPECT_EQ(bf16.kv_bytes_per_token_f32, 288u * 1024);
  EXPECT_EQ(bf16.kv_bytes_f16, 4096ull * 144 * 1024);
  EXPECT_EQ(bf16.total_bytes_f16_kv, bf16.weight_bytes + bf16.kv_bytes_f16);
  // Every cache type: f32 288 KiB, f16 and bf16 144 KiB, q8_0 2 * 36 * 8 * (4 blocks x 34
  // bytes) = 78,336 bytes per token.
  ASSERT_EQ(bf16.kv_by_type.size(), 4u);
  EXPECT_EQ(bf16.kv_by_type[0].type, DType::F32);
  EXPECT_EQ(bf16.kv_by_type[0].bytes_per_token, 288u * 1024);
  EXPECT_EQ(bf16.kv_by_type[1].bytes_per_token, 144u * 1024);
  EXPECT_EQ(bf16.kv_by_type[2].type, DType::BF16);
  EXPECT_EQ(bf16.kv_by_type[2].bytes_per_token, 144u * 1024);
  EXPECT_EQ(bf16.kv_by_type[3].type, DType::Q8_0);
  EXPECT_EQ(bf16.kv_by_type[3].bytes_per_token, 78336u);
  EXPECT_EQ(bf16.kv_by_type[3].bytes, 4096u * 78336u);
  EXPECT_EQ(kv_bytes_per_token(c, KvCacheType{DType::Q8_0, DType::F16}), 36u * 8 * (136 + 256));
  ASSERT_EQ(bf16.weights.size(), 2u);
  EXPECT_EQ(bf16.weights[0].dtype, DType::BF16);
  EXPECT_EQ(bf16.weights[1].dtype, DType::F32);

  const MemoryFootprint q4 = memory_footprint(c, tensors_as(c, "q4_k_m"), 4096);
  // llama.cpp's Qwen3-8B Q4_K_M file is 5.03 GB.
  EXPECT_GT(q4.weight_bytes, 4.9e9);
  EXPECT_LT(q4.weight_bytes, 5.1e9);
  EXPECT_EQ(q4.weights[0].dtype, DType::Q4_K);
  EXPECT_EQ(q4.weights[1].dtype, DType::Q6_K);
}

TEST(MemoryFootprint, ReadsAFixtureFromItsHeaders) {
  const ModelInventory inv =
      read_model_inventory(std::string(JUNCTION_TEST_DATA) + "/gguf/qwen3-qbase-Q4_K_M.gguf");
  EXPECT_EQ(inv.format, "gguf");
  const MemoryFootprint f = memory_footprint(inv.config, inv.tensors, 2048);
  EXPECT_EQ(f.n_params, 3671552u);
  EXPECT_EQ(f.kv_bytes_per_token_f16, 2u * 2 * 2 * 64 * 2);
  uint64_t q6 = 0;
  for (const auto& w : f.weights)
    if (w.dtype == DType::Q6_K) q6 = static_cast<uint64_t>(w.n_tensors);
  EXPECT_EQ(q6, 3u);  // output, blk.1.attn_v, blk.1.ffn_down
  const ModelInventory hf =
      read_model_inventory(std::string(JUNCTION_TEST_DATA) + "/models/qwen3-qbase-f32");
  EXPECT_EQ(hf.format, "safetensors");
  EXPECT_EQ(memory_footprint(hf.config, hf.tensors, 0).weight_bytes, 3671552u * 4);
}

}  // namespace
}  // namespace junction
