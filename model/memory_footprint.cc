#include "model/memory_footprint.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "formats/gguf.h"
#include "formats/safetensors.h"
#include "kernels/ops.h"

namespace junction {

uint64_t kv_bytes_per_token(const ModelConfig& c, uint64_t element_bytes) {
  return 2 * static_cast<uint64_t>(c.num_hidden_layers) *
         static_cast<uint64_t>(c.num_key_value_heads) * static_cast<uint64_t>(c.head_dim) *
         element_bytes;
}

uint64_t kv_bytes_per_token(const ModelConfig& c, KvCacheType type) {
  return static_cast<uint64_t>(c.num_hidden_layers) * static_cast<uint64_t>(c.num_key_value_heads) *
         (kernels::kv_cache_row_bytes(type.k, c.head_dim) +
          kernels::kv_cache_row_bytes(type.v, c.head_dim));
}

uint64_t forward_work_bytes(const ModelConfig& c, int64_t n_tokens, int64_t n_logits) {
  const uint64_t q = static_cast<uint64_t>(c.num_attention_heads * c.head_dim);
  const uint64_t kv = static_cast<uint64_t>(c.num_key_value_heads * c.head_dim);
  const uint64_t H = static_cast<uint64_t>(c.hidden_size);
  const uint64_t I = static_cast<uint64_t>(c.intermediate_size);
  // x, xn, out: H; q, attn: q; k, v: kv; gate, up: I (floats per token).
  const uint64_t per_token = 3 * H + 2 * q + 2 * kv + 2 * I;
  return 4 * (static_cast<uint64_t>(n_tokens) * per_token +
              static_cast<uint64_t>(n_logits) * static_cast<uint64_t>(c.vocab_size));
}

MemoryFootprint memory_footprint(const ModelConfig& config, const std::vector<TensorBytes>& tensors,
                                 int64_t n_ctx) {
  MemoryFootprint f;
  std::map<DType, WeightTypeBytes> by_type;
  for (const auto& t : tensors) {
    WeightTypeBytes& w = by_type[t.dtype];
    w.dtype = t.dtype;
    ++w.n_tensors;
    w.n_elements += t.n_elements;
    w.bytes += t.bytes;
    f.n_params += t.n_elements;
    f.weight_bytes += t.bytes;
  }
  for (const auto& [dtype, w] : by_type) f.weights.push_back(w);
  std::stable_sort(f.weights.begin(), f.weights.end(),
                   [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  f.kv_bytes_per_token_f16 = kv_bytes_per_token(config, 2);
  f.kv_bytes_per_token_f32 = kv_bytes_per_token(config, 4);
  f.n_ctx = n_ctx;
  f.kv_bytes_f16 = f.kv_bytes_per_token_f16 * static_cast<uint64_t>(std::max<int64_t>(n_ctx, 0));
  f.kv_bytes_f32 = f.kv_bytes_per_token_f32 * static_cast<uint64_t>(std::max<int64_t>(n_ctx, 0));
  f.total_bytes_f16_kv = f.weight_bytes + f.kv_bytes_f16;
  f.total_bytes_f32_kv = f.weight_bytes + f.kv_bytes_f32;
  for (DType type : {DType::F32, DType::F16, DType::BF16, DType::Q8_0}) {
    if (type == DType::Q8_0 && config.head_dim % 32 != 0) continue;
    KvTypeBytes k;
    k.type = type;
    k.bytes_per_token = kv_bytes_per_token(config, KvCacheType{type, type});
    k.bytes = k.bytes_per_token * static_cast<uint64_t>(std::max<int64_t>(n_ctx, 0));
    f.kv_by_type.push_back(k);
  }
  return f;
}

ModelInventory read_model_inventory(const std::string& path) {
  ModelInventory inv;
  if (std::filesystem::is_directory(path)) {
    inv.format = "safetensors";
    inv.config = load_model_config(path);
    const auto checkpoint = SafetensorsCheckpoint::open(path);
    inv.file_bytes = checkpoint->mapped_bytes();
    for (const auto& [name, t] : checkpoint->tensors()) {
      uint64_t n = 1;
      for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
      inv.tensors.push_back({name, t.dtype, n, t.bytes});
    }
  } else {
    inv.format = "gguf";
    const auto g = GgufFile::open(path);
    inv.config = config_from_gguf(*g, path);
    inv.file_bytes = g->file_bytes();
    for (const auto& t : g->tensors()) {
      uint64_t n = 1;
      for (int64_t d : t.ne) n *= static_cast<uint64_t>(d);
      inv.tensors.push_back({t.name, t.dtype, n, t.bytes});
    }
  }
  return inv;
}

}  // namespace junction
