#include "model/kv_cache.h"

#include <bit>
#include <cstring>

#include "core/error.h"

namespace junction {

KvPool::KvPool(const ModelConfig& c, int64_t n_blocks, int64_t block_size)
    : n_layers_(c.num_hidden_layers),
      n_kv_heads_(c.num_key_value_heads),
      head_dim_(c.head_dim),
      n_blocks_(n_blocks),
      block_size_(block_size) {
  if (block_size <= 0 || !std::has_single_bit(static_cast<uint64_t>(block_size)))
    throw Error("the KV block size must be a power of two, not " + std::to_string(block_size));
  if (n_blocks <= 0 || n_blocks > INT32_MAX) throw Error("the KV pool needs at least one block");
  block_shift_ = std::countr_zero(static_cast<uint64_t>(block_size));
  // new float[] leaves the memory untouched: a pool sized for the whole context costs only
  // what is written.
  keys_.reset(new float[n_layers_ * layer_floats()]);
  values_.reset(new float[n_layers_ * layer_floats()]);
}

size_t KvPool::bytes_per_token(const ModelConfig& c) {
  return 2 * static_cast<size_t>(c.num_hidden_layers * c.num_key_value_heads * c.head_dim) *
         sizeof(float);
}

KvCache::KvCache(KvPool& pool) : pool_(&pool) {}

KvCache::KvCache(const ModelConfig& config, int64_t capacity, int64_t block_size) {
  const int64_t n = std::max<int64_t>(1, (capacity + block_size - 1) / block_size);
  own_pool_ = std::make_unique<KvPool>(config, n, block_size);
  pool_ = own_pool_.get();
  for (int64_t b = 0; b < n; ++b) blocks_.push_back(static_cast<int32_t>(b));
}

void KvCache::append_block(int32_t block) {
  if (block < 0 || block >= pool_->n_blocks()) throw Error("KV block id outside the pool");
  blocks_.push_back(block);
}

void KvCache::set_blocks(std::span<const int32_t> blocks) {
  for (int32_t b : blocks)
    if (b < 0 || b >= pool_->n_blocks()) throw Error("KV block id outside the pool");
  blocks_.assign(blocks.begin(), blocks.end());
}

void KvCache::write(int64_t layer, int64_t pos0, int64_t n, const float* k, const float* v) {
  if (pos0 < 0 || pos0 + n > capacity())
    throw Error("context full: position " + std::to_string(pos0 + n) + " exceeds the KV cache of " +
                std::to_string(capacity()) + " tokens (raise --ctx-size)");
  const int64_t nkv = pool_->n_kv_heads(), hd = pool_->head_dim();
  const int64_t bs = pool_->block_size(), block_floats = pool_->block_floats();
  float* kl = pool_->keys(layer);
  float* vl = pool_->values(layer);
  for (int64_t t = 0; t < n; ++t) {
    const int64_t pos = pos0 + t;
    const size_t block = static_cast<size_t>(blocks_[pos >> pool_->block_shift()]) * block_floats;
    for (int64_t h = 0; h < nkv; ++h) {
      const size_t dst = block + (h * bs + (pos & (bs - 1))) * hd;
      const size_t src = (t * nkv + h) * hd;
      std::memcpy(kl + dst, k + src, hd * sizeof(float));
      std::memcpy(vl + dst, v + src, hd * sizeof(float));
    }
  }
}

void KvCache::describe(kernels::AttentionShape& shape) const {
  shape.block_table = blocks_.data();
  shape.block_shift = pool_->block_shift();
  shape.block_stride = pool_->block_floats();
  shape.head_stride = pool_->block_size() * pool_->head_dim();
}

}  // namespace junction
