// What a model needs in memory, from its config and tensor list alone (no weights read): weight
// bytes by stored type, KV cache bytes per token and for a context length, and the total.
// `junction info` prints it; the server can expose the same struct. Counts only weights and the
// KV cache: activations and scratch buffers (tens of MB) are left out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "model/config.h"
#include "model/kv_cache_type.h"

namespace junction {

struct TensorBytes {
  std::string name;
  DType dtype = DType::F32;
  uint64_t n_elements = 0;
  uint64_t bytes = 0;
};

struct WeightTypeBytes {
  DType dtype = DType::F32;
  int64_t n_tensors = 0;
  uint64_t n_elements = 0;
  uint64_t bytes = 0;
};

// K and V of every layer for one token in one cache type (llama.cpp's --cache-type-k/-v name).
struct KvTypeBytes {
  DType type = DType::F32;
  uint64_t bytes_per_token = 0;
  uint64_t bytes = 0;  // for n_ctx tokens
};

struct MemoryFootprint {
  std::vector<WeightTypeBytes> weights;  // by type, most bytes first
  uint64_t n_params = 0;
  uint64_t weight_bytes = 0;
  uint64_t kv_bytes_per_token_f16 = 0;  // K and V of every layer for one token
  uint64_t kv_bytes_per_token_f32 = 0;
  int64_t n_ctx = 0;          // tokens
  uint64_t kv_bytes_f16 = 0;  // for n_ctx tokens
  uint64_t kv_bytes_f32 = 0;
  uint64_t total_bytes_f16_kv = 0;  // weights + f16 KV cache of n_ctx tokens
  uint64_t total_bytes_f32_kv = 0;  // weights + f32 KV cache
  // Every cache type the model can use: f32, f16, bf16, and q8_0 where head_dim % 32 == 0.
  std::vector<KvTypeBytes> kv_by_type;
};

// Bytes of K and V for one token: 2 * layers * kv_heads * head_dim * element_bytes.
uint64_t kv_bytes_per_token(const ModelConfig& config, uint64_t element_bytes);

// Bytes of K and V for one token at a cache's key and value types.
uint64_t kv_bytes_per_token(const ModelConfig& config, KvCacheType type);

// Activation and logit buffers of one forward step of n_tokens, n_logits of them with logits
// (model.h's ForwardScratch and the engine's logits), in bytes.
uint64_t forward_work_bytes(const ModelConfig& config, int64_t n_tokens, int64_t n_logits);

MemoryFootprint memory_footprint(const ModelConfig& config, const std::vector<TensorBytes>& tensors,
                                 int64_t n_ctx);

// A model's config and tensor list from its headers: a GGUF file or a Hugging Face folder.
struct ModelInventory {
  std::string format;  // "gguf" or "safetensors"
  ModelConfig config;
  std::vector<TensorBytes> tensors;
  uint64_t file_bytes = 0;
};
ModelInventory read_model_inventory(const std::string& path);

}  // namespace junction
