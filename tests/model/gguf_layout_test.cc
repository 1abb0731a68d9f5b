// The GGUF layouts of the catalogue's files (pull/catalog.cc), scaled down: each file here has
// the metadata keys and tensor names of the published GGUF of one catalogue alias (the keys
// llama.cpp's converter and llama-quantize write for that architecture, as public listings of
// those files show them: general.*, quantize.imatrix.*, tokenizer.* and the <arch>.* keys), with
// small dimensions and F32 data. Each must load, read as the architecture it is: Llama 3.1's
// rope_freqs applied, Gemma's key_length wider than hidden / heads and tied output, Phi-3's fused
// attn_qkv and ffn_up split into the right rows, DeepSeek-R1-0528-Qwen3's YaRN keys.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "model/model.h"

namespace junction {
namespace {

struct Tensor {
  std::string name;
  std::vector<int64_t> ne;  // ggml order
};

struct Layout {
  std::string arch;
  std::vector<std::pair<std::string, GgufValue>> keys;  // without general.architecture
  std::vector<Tensor> tensors;
};

constexpr int64_t kHidden = 64, kFfn = 96, kVocab = 128, kLayers = 2;

// What every published file carries besides its <arch>.* keys (values from the listings' kind).
std::vector<std::pair<std::string, GgufValue>> common_keys() {
  return {{"general.type", gguf_string("model")},
          {"general.name", gguf_string("Tiny")},
          {"general.basename", gguf_string("Tiny")},
          {"general.size_label", gguf_string("8B")},
          {"general.license", gguf_string("apache-2.0")},
          {"general.file_type", gguf_uint32(15)},
          {"general.quantization_version", gguf_uint32(2)},
          {"quantize.imatrix.file", gguf_string("imatrix.dat")},
          {"quantize.imatrix.dataset", gguf_string("calibration.txt")},
          {"quantize.imatrix.entries_count", gguf_int32(224)},
          {"quantize.imatrix.chunks_count", gguf_int32(125)},
          {"tokenizer.ggml.model", gguf_string("gpt2")},
          {"tokenizer.ggml.bos_token_id", gguf_uint32(1)},
          {"tokenizer.ggml.eos_token_id", gguf_uint32(2)}};
}

// blk.N.* of a llama-style layer (separate q/k/v and gate/up), plus extra per-layer tensors.
void llama_layers(Layout& l, int64_t q_dim, int64_t kv_dim, bool qk_norm, int64_t head_dim) {
  for (int64_t b = 0; b < kLayers; ++b) {
    const std::string p = "blk." + std::to_string(b) + ".";
    l.tensors.push_back({p + "attn_norm.weight", {kHidden}});
    l.tensors.push_back({p + "attn_q.weight", {kHidden, q_dim}});
    l.tensors.push_back({p + "attn_k.weight", {kHidden, kv_dim}});
    l.tensors.push_back({p + "attn_v.weight", {kHidden, kv_dim}});
    l.tensors.push_back({p + "attn_output.weight", {q_dim, kHidden}});
    if (qk_norm) {
      l.tensors.push_back({p + "attn_q_norm.weight", {head_dim}});
      l.tensors.push_back({p + "attn_k_norm.weight", {head_dim}});
    }
    l.tensors.push_back({p + "ffn_norm.weight", {kHidden}});
    l.tensors.push_back({p + "ffn_gate.weight", {kHidden, kFfn}});
    l.tensors.push_back({p + "ffn_up.weight", {kHidden, kFfn}});
    l.tensors.push_back({p + "ffn_down.weight", {kFfn, kHidden}});
  }
}

// Writes the layout; tensor t's element i is (t + 1) * 1000 + i so views can be told apart.
std::string write(const Layout& l, const std::string& name) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("junction_layout_" + std::to_string(getpid()) + "_" + name + ".gguf"))
                               .string();
  GgufWriter w(path);
  w.add("general.architecture", gguf_string(l.arch));
  for (const auto& [key, value] : common_keys()) w.add(key, value);
  for (const auto& [key, value] : l.keys) w.add(key, value);
  for (const auto& t : l.tensors) w.add_tensor({t.name, DType::F32, t.ne});
  w.write_header();
  for (size_t t = 0; t < l.tensors.size(); ++t) {
    int64_t n = 1;
    for (int64_t d : l.tensors[t].ne) n *= d;
    std::vector<float> data(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) data[i] = static_cast<float>((t + 1) * 1000 + i);
    if (l.tensors[t].name.find("rope_freqs") != std::string::npos)
      for (int64_t i = 0; i < n; ++i) data[i] = i < n / 2 ? 1.0f : 8.0f;
    w.write_data(data.data(), data.size() * sizeof(float));
  }
  w.finish();
  return path;
}

std::vector<std::pair<std::string, GgufValue>> base_keys(const std::string& a, int64_t n_kv) {
  return {{a + ".block_count", gguf_uint32(kLayers)},
          {a + ".context_length", gguf_uint32(8192)},
          {a + ".embedding_length", gguf_uint32(kHidden)},
          {a + ".feed_forward_length", gguf_uint32(kFfn)},
          {a + ".attention.head_count", gguf_uint32(4)},
          {a + ".attention.head_count_kv", gguf_uint32(static_cast<uint32_t>(n_kv))},
          {a + ".attention.layer_norm_rms_epsilon", gguf_float32(1e-5f)}};
}

void add_top(Layout& l, bool output) {
  l.tensors.insert(l.tensors.begin(), {"token_embd.weight", {kHidden, kVocab}});
  l.tensors.push_back({"output_norm.weight", {kHidden}});
  if (output) l.tensors.push_back({"output.weight", {kHidden, kVocab}});
}

// unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF and bartowski/Qwen_Qwen3-8B-GGUF: qwen3 with q/k norms
// and key_length; the R1 distill adds YaRN (factor 4 over 32768).
TEST(CatalogueGgufLayout, Qwen3AndItsR1DistillLoad) {
  for (const bool yarn : {false, true}) {
    Layout l{"qwen3", base_keys("qwen3", 2), {}};
    l.keys.push_back({"qwen3.rope.freq_base", gguf_float32(1e6f)});
    l.keys.push_back({"qwen3.attention.key_length", gguf_uint32(16)});
    l.keys.push_back({"qwen3.attention.value_length", gguf_uint32(16)});
    if (yarn) {
      l.keys.push_back({"qwen3.rope.scaling.type", gguf_string("yarn")});
      l.keys.push_back({"qwen3.rope.scaling.factor", gguf_float32(4.0f)});
      l.keys.push_back({"qwen3.rope.scaling.original_context_length", gguf_uint32(32768)});
    }
    llama_layers(l, 4 * 16, 2 * 16, true, 16);
    add_top(l, true);
    const std::string path = write(l, yarn ? "r1" : "qwen3");
    const auto m = Model::load(path);
    EXPECT_EQ(m->config().family, ModelFamily::kLlama);
    EXPECT_TRUE(m->config().qk_norm);
    EXPECT_FALSE(m->config().rope_interleaved);
    EXPECT_EQ(m->config().rope_scaling.type,
              yarn ? RopeScaling::Type::kYarn : RopeScaling::Type::kNone);
    if (yarn) {
      EXPECT_EQ(m->config().rope_scaling.original_max_position_embeddings, 32768);
    }
    std::filesystem::remove(path);
  }
}

// bartowski/Meta-Llama-3.1-8B-Instruct-GGUF and bartowski/Mistral-7B-Instruct-v0.3-GGUF: llama
// with vocab_size and rope.dimension_count; Llama 3.1 adds the rope_freqs.weight tensor, which
// must divide the rotary frequencies (pairs 0..3 by 1, 4..7 by 8 here).
TEST(CatalogueGgufLayout, Llama31AndMistralLoadAndLlama31AppliesRopeFreqs) {
  for (const bool llama31 : {true, false}) {
    Layout l{"llama", base_keys("llama", 2), {}};
    l.keys.push_back({"llama.rope.freq_base", gguf_float32(llama31 ? 500000.0f : 1e6f)});
    l.keys.push_back({"llama.vocab_size", gguf_uint32(kVocab)});
    l.keys.push_back({"llama.rope.dimension_count", gguf_uint32(16)});
    llama_layers(l, kHidden, 2 * 16, false, 16);
    add_top(l, true);
    if (llama31) l.tensors.insert(l.tensors.begin() + 1, {"rope_freqs.weight", {8}});
    const std::string path = write(l, llama31 ? "llama31" : "mistral");
    const auto m = Model::load(path);
    EXPECT_TRUE(m->config().rope_interleaved);
    if (llama31) {
      ASSERT_EQ(m->config().rope_scaling.type, RopeScaling::Type::kFreqFactors);
      ModelConfig plain = m->config();
      plain.rope_scaling = RopeScaling{};
      const Rope unscaled(plain), scaled(m->config());
      for (int i = 0; i < 8; ++i)
        EXPECT_FLOAT_EQ(scaled.inv_freq()[i], unscaled.inv_freq()[i] / (i < 4 ? 1.0f : 8.0f));
    } else {
      EXPECT_EQ(m->config().rope_scaling.type, RopeScaling::Type::kNone);
    }
    std::filesystem::remove(path);
  }
}

// bartowski/gemma-1.1-7b-it-GGUF: gemma keys without rope keys or vocab_size, key_length 256
// against 3072 / 16 = 192 in the real file (24 vs 16 here), output tied to token_embd.
TEST(CatalogueGgufLayout, GemmaLoadsWithItsOwnHeadDimAndTiedOutput) {
  Layout l{"gemma", base_keys("gemma", 4), {}};
  l.keys.push_back({"gemma.attention.key_length", gguf_uint32(24)});
  l.keys.push_back({"gemma.attention.value_length", gguf_uint32(24)});
  llama_layers(l, 4 * 24, 4 * 24, false, 24);
  add_top(l, false);
  const std::string path = write(l, "gemma");
  const auto m = Model::load(path);
  EXPECT_EQ(m->config().family, ModelFamily::kGemma);
  EXPECT_EQ(m->config().head_dim, 24);
  EXPECT_EQ(m->config().rope_theta, 10000.0);  // llama.cpp's default: the converter writes none
  EXPECT_TRUE(m->config().tie_word_embeddings);
  EXPECT_EQ(m->weights().lm_head.data, m->weights().embed_tokens.data);
  // Norms are used as stored (the converter wrote 1 + w already): blk.0.attn_norm is tensor 1,
  // holding 2000 + i.
  EXPECT_EQ(m->weights().layers[0].input_layernorm[0], 2000.0f);
  std::filesystem::remove(path);
}

// bartowski/Phi-3-mini-4k-instruct-GGUF: phi3 keys (original_context_length, sliding_window),
// attn_qkv = q rows then k then v, ffn_up = gate rows then up rows.
TEST(CatalogueGgufLayout, Phi3SplitsItsFusedTensorsIntoTheRightRows) {
  Layout l{"phi3", base_keys("phi3", 4), {}};
  l.keys.push_back({"phi3.rope.scaling.original_context_length", gguf_uint32(4096)});
  l.keys.push_back({"phi3.rope.dimension_count", gguf_uint32(16)});
  l.keys.push_back({"phi3.rope.freq_base", gguf_float32(10000.0f)});
  l.keys.push_back({"phi3.attention.sliding_window", gguf_uint32(2047)});
  for (int64_t b = 0; b < kLayers; ++b) {
    const std::string p = "blk." + std::to_string(b) + ".";
    l.tensors.push_back({p + "attn_norm.weight", {kHidden}});
    l.tensors.push_back({p + "attn_qkv.weight", {kHidden, 3 * kHidden}});
    l.tensors.push_back({p + "attn_output.weight", {kHidden, kHidden}});
    l.tensors.push_back({p + "ffn_norm.weight", {kHidden}});
    l.tensors.push_back({p + "ffn_up.weight", {kHidden, 2 * kFfn}});
    l.tensors.push_back({p + "ffn_down.weight", {kFfn, kHidden}});
  }
  add_top(l, true);
  const std::string path = write(l, "phi3");
  const auto m = Model::load(path);
  EXPECT_EQ(m->config().family, ModelFamily::kPhi3);
  EXPECT_EQ(m->config().sliding_window, 2047);
  EXPECT_FALSE(m->config().rope_interleaved);
  const LayerWeights& L = m->weights().layers[0];
  const auto first = [](const WeightView& w) { return reinterpret_cast<const float*>(w.data)[0]; };
  // Tensor 2 (token_embd is 0, attn_norm 1) holds 3000 + i: row r starts at 3000 + r * 64.
  EXPECT_EQ(first(L.q_proj.weight), 3000.0f);
  EXPECT_EQ(first(L.k_proj.weight), 3000.0f + kHidden * kHidden);
  EXPECT_EQ(first(L.v_proj.weight), 3000.0f + 2 * kHidden * kHidden);
  EXPECT_EQ(L.q_proj.weight.rows, kHidden);
  // ffn_up is tensor 5: gate is its first kFfn rows, up the next kFfn.
  EXPECT_EQ(first(L.gate_proj.weight), 6000.0f);
  EXPECT_EQ(first(L.up_proj.weight), 6000.0f + kFfn * kHidden);
  EXPECT_EQ(L.up_proj.weight.rows, kFfn);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace junction
