#include "model/memory_footprint.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "formats/gguf.h"
#include "formats/safetensors.h"

namespace junction {

uint64_t kv_bytes_per_token(const ModelConfig& c, uint64_t element_bytes) {
  return 2 * static_cast<uint64_t>(c.num_hidden_layers) *
         static_cast<uint64_t>(c.num_key_value_heads) * static_cast<uint64_t>(c.head_dim) *
         element_bytes;
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
