#include "model/kv_cache.h"

#include <bit>
#include <string>

#include "core/error.h"

namespace junction {

namespace {

void check_cache_type(DType type, int64_t head_dim, const char* which) {
  if (!kernels::is_kv_cache_type(type))
    throw Error(std::string("the ") + which + " cache type must be f32, f16, bf16 or q8_0, not " +
                kv_cache_type_name(type));
  if (type == DType::Q8_0 && head_dim % 32 != 0)
    throw Error(std::string("a q8_0 ") + which + " cache needs head_dim divisible by 32; this " +
                "model's is " + std::to_string(head_dim) + " (use f16 or bf16)");
}

}  // namespace

KvPool::KvPool(const ModelConfig& c, int64_t n_blocks, int64_t block_size, KvCacheType type)
    : n_layers_(c.num_hidden_layers),
      n_kv_heads_(c.num_key_value_heads),
      head_dim_(c.head_dim),
      n_blocks_(n_blocks),
      block_size_(block_size),
      type_(type) {
  if (block_size <= 0 || !std::has_single_bit(static_cast<uint64_t>(block_size)))
    throw Error("the KV block size must be a power of two, not " + std::to_string(block_size));
  if (n_blocks <= 0 || n_blocks > INT32_MAX) throw Error("the KV pool needs at least one block");
  check_cache_type(type.k, head_dim_, "key");
  check_cache_type(type.v, head_dim_, "value");
  block_shift_ = std::countr_zero(static_cast<uint64_t>(block_size));
  k_row_bytes_ = kernels::kv_cache_row_bytes(type.k, head_dim_);
  v_row_bytes_ = kernels::kv_cache_row_bytes(type.v, head_dim_);
  // new std::byte[] leaves the memory untouched: a pool sized for the whole context costs only
  // what is written.
  keys_.reset(new std::byte[n_layers_ * layer_rows() * k_row_bytes_]);
  values_.reset(new std::byte[n_layers_ * layer_rows() * v_row_bytes_]);
}

size_t KvPool::bytes_per_token(const ModelConfig& c, KvCacheType type) {
  return static_cast<size_t>(c.num_hidden_layers * c.num_key_value_heads) *
         (kernels::kv_cache_row_bytes(type.k, c.head_dim) +
          kernels::kv_cache_row_bytes(type.v, c.head_dim));
}

KvCache::KvCache(KvPool& pool) : pool_(&pool) {}

KvCache::KvCache(const ModelConfig& config, int64_t capacity, int64_t block_size,
                 KvCacheType type) {
  const int64_t n = std::max<int64_t>(1, (capacity + block_size - 1) / block_size);
  own_pool_ = std::make_unique<KvPool>(config, n, block_size, type);
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

void KvCache::write(kernels::Backend& backend, int64_t layer, int64_t pos0, int64_t n,
                    const float* k, const float* v) {
  if (pos0 < 0 || pos0 + n > capacity())
    throw Error("context full: position " + std::to_string(pos0 + n) + " exceeds the KV cache of " +
                std::to_string(capacity()) + " tokens (raise --ctx-size)");
  const int64_t nkv = pool_->n_kv_heads(), hd = pool_->head_dim();
  const int64_t bs = pool_->block_size();
  const KvCacheType type = pool_->type();
  const size_t kb = pool_->k_row_bytes(), vb = pool_->v_row_bytes();
  std::byte* kl = pool_->keys(layer);
  std::byte* vl = pool_->values(layer);
  for (int64_t t = 0; t < n; ++t) {
    const int64_t pos = pos0 + t;
    const size_t block =
        static_cast<size_t>(blocks_[pos >> pool_->block_shift()]) * pool_->block_rows();
    for (int64_t h = 0; h < nkv; ++h) {
      const size_t row = block + static_cast<size_t>(h * bs + (pos & (bs - 1)));
      const size_t src = static_cast<size_t>((t * nkv + h) * hd);
      backend.store_kv_row(k + src, hd, type.k, kl + row * kb);
      backend.store_kv_row(v + src, hd, type.v, vl + row * vb);
    }
  }
}

void KvCache::describe(kernels::AttentionShape& shape) const {
  shape.k_type = pool_->type().k;
  shape.v_type = pool_->type().v;
  shape.block_table = blocks_.data();
  shape.block_shift = pool_->block_shift();
  shape.block_rows = pool_->block_rows();
  shape.head_rows = pool_->block_size();
}

}  // namespace junction
