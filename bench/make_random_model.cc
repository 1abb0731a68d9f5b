// Writes a random-weight Hugging Face checkpoint of a real model's shape, for benchmarks:
// config.json plus safetensors (sharded like the hub's, 4 GB per shard, when larger). Weights
// are uniform in +-0.035 (std ~0.02, like initializer_range), norms are 1. Values repeat from a
// 64 MB pool: the numbers are irrelevant to speed and generating 8e9 fresh ones would take longer
// than the benchmark.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "formats/safetensors.h"

namespace {

struct Shape {
  int64_t vocab, hidden, layers, heads, kv_heads, head_dim, intermediate;
  bool tied;
};

Shape shape_named(const std::string& name) {
  if (name == "qwen3-0.6b") return {151936, 1024, 28, 16, 8, 128, 3072, true};
  if (name == "qwen3-8b") return {151936, 4096, 36, 32, 8, 128, 12288, false};
  throw junction::Error("unknown shape '" + name + "' (qwen3-0.6b or qwen3-8b)");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace junction;
  CLI::App app{"make_random_model: a random-weight Qwen3 checkpoint of a real model's shape"};
  std::string shape_name = "qwen3-0.6b", dtype_text = "bf16", out;
  app.add_option("--shape", shape_name, "qwen3-0.6b or qwen3-8b");
  app.add_option("--dtype", dtype_text, "bf16, f16 or f32");
  app.add_option("--out", out, "output folder")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    const Shape s = shape_named(shape_name);
    const DType dtype = dtype_text == "bf16"  ? DType::BF16
                        : dtype_text == "f16" ? DType::F16
                                              : DType::F32;
    std::filesystem::create_directories(out);
    std::ofstream(out + "/config.json")
        << "{\n  \"architectures\": [\"Qwen3ForCausalLM\"],\n  \"model_type\": \"qwen3\",\n"
        << "  \"vocab_size\": " << s.vocab << ",\n  \"hidden_size\": " << s.hidden
        << ",\n  \"intermediate_size\": " << s.intermediate
        << ",\n  \"num_hidden_layers\": " << s.layers << ",\n  \"num_attention_heads\": " << s.heads
        << ",\n  \"num_key_value_heads\": " << s.kv_heads << ",\n  \"head_dim\": " << s.head_dim
        << ",\n  \"hidden_act\": \"silu\",\n"
        << "  \"rms_norm_eps\": 1e-06,\n  \"rope_theta\": 1000000.0,\n  "
           "\"max_position_embeddings\": 40960,\n"
        << "  \"tie_word_embeddings\": " << (s.tied ? "true" : "false") << ",\n"
        << "  \"attention_bias\": false,\n  \"bos_token_id\": 151643,\n  \"eos_token_id\": "
           "151645,\n"
        << "  \"torch_dtype\": \""
        << (dtype == DType::BF16  ? "bfloat16"
            : dtype == DType::F16 ? "float16"
                                  : "float32")
        << "\"\n}\n";

    std::vector<SafetensorsSpec> specs;
    std::vector<bool> is_norm;
    auto add = [&](const std::string& name, std::vector<int64_t> shape, bool norm = false) {
      specs.push_back({name, dtype, std::move(shape)});
      is_norm.push_back(norm);
    };
    const int64_t H = s.hidden, D = s.head_dim, I = s.intermediate;
    add("model.embed_tokens.weight", {s.vocab, H});
    for (int64_t l = 0; l < s.layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l);
      add(p + ".input_layernorm.weight", {H}, true);
      add(p + ".self_attn.q_proj.weight", {s.heads * D, H});
      add(p + ".self_attn.k_proj.weight", {s.kv_heads * D, H});
      add(p + ".self_attn.v_proj.weight", {s.kv_heads * D, H});
      add(p + ".self_attn.q_norm.weight", {D}, true);
      add(p + ".self_attn.k_norm.weight", {D}, true);
      add(p + ".self_attn.o_proj.weight", {H, s.heads * D});
      add(p + ".post_attention_layernorm.weight", {H}, true);
      add(p + ".mlp.gate_proj.weight", {I, H});
      add(p + ".mlp.up_proj.weight", {I, H});
      add(p + ".mlp.down_proj.weight", {H, I});
    }
    add("model.norm.weight", {H}, true);
    if (!s.tied) add("lm_head.weight", {s.vocab, H});

    // Pool of random values in the target dtype.
    const size_t elem = dtype_size(dtype);
    std::vector<unsigned char> pool((64u << 20) + 4096);
    std::mt19937_64 rng(1234);
    std::uniform_real_distribution<float> dist(-0.035f, 0.035f);
    for (size_t i = 0; i + elem <= pool.size(); i += elem) {
      const float f = dist(rng);
      if (dtype == DType::F32) {
        std::memcpy(&pool[i], &f, 4);
      } else {
        const uint16_t h = dtype == DType::BF16 ? f32_to_bf16(f) : f32_to_f16(f);
        std::memcpy(&pool[i], &h, 2);
      }
    }
    std::vector<unsigned char> ones(static_cast<size_t>(std::max(H, D)) * elem);
    for (size_t i = 0; i < ones.size(); i += elem) {
      if (dtype == DType::F32) {
        const float one = 1.0f;
        std::memcpy(&ones[i], &one, 4);
      } else {
        const uint16_t h = dtype == DType::BF16 ? f32_to_bf16(1.0f) : f32_to_f16(1.0f);
        std::memcpy(&ones[i], &h, 2);
      }
    }

    // Split into shards of at most 4 GB, as the hub does.
    constexpr size_t kShardBytes = size_t{4} << 30;
    std::vector<std::vector<size_t>> shards(1);
    size_t shard_bytes = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (shard_bytes + specs[i].bytes() > kShardBytes && !shards.back().empty()) {
        shards.emplace_back();
        shard_bytes = 0;
      }
      shards.back().push_back(i);
      shard_bytes += specs[i].bytes();
    }
    auto shard_name = [&](size_t k) {
      if (shards.size() == 1) return std::string("model.safetensors");
      char name[64];
      std::snprintf(name, sizeof(name), "model-%05zu-of-%05zu.safetensors", k + 1, shards.size());
      return std::string(name);
    };
    size_t offset = 0, done = 0, total = 0;
    for (const auto& spec : specs) total += spec.bytes();
    for (size_t k = 0; k < shards.size(); ++k) {
      std::vector<SafetensorsSpec> shard_specs;
      for (size_t i : shards[k]) shard_specs.push_back(specs[i]);
      SafetensorsWriter writer(out + "/" + shard_name(k), shard_specs);
      for (size_t i : shards[k]) {
        size_t left = specs[i].bytes();
        if (is_norm[i]) {
          writer.append(ones.data(), left);
          continue;
        }
        while (left > 0) {
          const size_t n = std::min<size_t>(left, pool.size() - 4096);
          writer.append(pool.data() + offset, n);
          offset = (offset + 2 * elem * 977) % 4096;
          left -= n;
        }
        done += specs[i].bytes();
        std::fprintf(stderr, "\rwriting %s: %5.1f%%", out.c_str(), 100.0 * done / total);
      }
      writer.finish();
    }
    if (shards.size() > 1) {
      std::ofstream index(out + "/model.safetensors.index.json");
      index << "{\"metadata\": {\"total_size\": " << total << "}, \"weight_map\": {";
      for (size_t k = 0; k < shards.size(); ++k)
        for (size_t j = 0; j < shards[k].size(); ++j)
          index << (k + j ? ", " : "") << "\"" << specs[shards[k][j]].name << "\": \""
                << shard_name(k) << "\"";
      index << "}}\n";
    }
    std::fprintf(stderr, "\nwrote %s: %s %s, %.2f GB\n", out.c_str(), shape_name.c_str(),
                 dtype_text.c_str(), total / 1e9);
  } catch (const Error& e) {
    std::fprintf(stderr, "make_random_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
