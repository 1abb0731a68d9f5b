// The keys and values of the model's attention, paged (as vLLM's PagedAttention): a KvPool is
// the physical memory, n_blocks blocks of block_size positions for every layer; a KvCache is
// one sequence's view of it, the list of pool blocks that hold its positions in order. Many
// sequences share one pool, and two sequences with the same prompt prefix can point at the
// same blocks (prefix caching, engine/block_manager.h decides which).
//
// A block of one layer is [n_kv_heads, block_size] rows, a row being one position of one kv
// head: head_dim elements of the pool's key or value type (model/kv_cache_type.h; F32 keeps
// results equal to the reference, F16 / BF16 / Q8_0 take half or about a quarter of the
// memory), so attention for one kv head walks block_size contiguous rows. Rows are converted
// from float32 as they are written, by the backend (Backend::store_kv_row).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/ops.h"
#include "model/config.h"
#include "model/kv_cache_type.h"

namespace junction {

class KvPool {
 public:
  // block_size: a power of two. The memory is reserved, not touched: pages are committed as
  // blocks are first written. Throws Error for a type that is not a cache type, or Q8_0 on a
  // head_dim that is not a multiple of 32.
  KvPool(const ModelConfig& config, int64_t n_blocks, int64_t block_size,
         KvCacheType type = kKvCacheF32);

  int64_t n_blocks() const { return n_blocks_; }
  int64_t block_size() const { return block_size_; }
  int block_shift() const { return block_shift_; }
  KvCacheType type() const { return type_; }
  int64_t block_rows() const { return n_kv_heads_ * block_size_; }
  size_t k_row_bytes() const { return k_row_bytes_; }
  size_t v_row_bytes() const { return v_row_bytes_; }
  std::byte* keys(int64_t layer) { return keys_.get() + layer * layer_rows() * k_row_bytes_; }
  std::byte* values(int64_t layer) { return values_.get() + layer * layer_rows() * v_row_bytes_; }
  size_t bytes() const {
    return static_cast<size_t>(n_layers_) * layer_rows() * (k_row_bytes_ + v_row_bytes_);
  }
  // Bytes of keys and values one position takes over all layers.
  static size_t bytes_per_token(const ModelConfig& config, KvCacheType type = kKvCacheF32);

  int64_t n_kv_heads() const { return n_kv_heads_; }
  int64_t head_dim() const { return head_dim_; }

 private:
  size_t layer_rows() const { return static_cast<size_t>(n_blocks_ * block_rows()); }

  int64_t n_layers_, n_kv_heads_, head_dim_, n_blocks_, block_size_;
  int block_shift_ = 0;
  KvCacheType type_;
  size_t k_row_bytes_ = 0, v_row_bytes_ = 0;  // one position of one kv head
  // [n_layers, n_blocks, n_kv_heads, block_size] rows of k_row_bytes_ / v_row_bytes_
  std::unique_ptr<std::byte[]> keys_, values_;
};

class KvCache {
 public:
  // A view of `pool` with no blocks yet; the owner appends blocks as the sequence grows.
  explicit KvCache(KvPool& pool);
  // A sequence of its own: a private pool with exactly the blocks `capacity` tokens need.
  KvCache(const ModelConfig& config, int64_t capacity, int64_t block_size = 16,
          KvCacheType type = kKvCacheF32);

  int64_t capacity() const { return static_cast<int64_t>(blocks_.size()) * pool_->block_size(); }
  std::span<const int32_t> blocks() const { return blocks_; }
  void append_block(int32_t block);
  void set_blocks(std::span<const int32_t> blocks);
  KvPool& pool() const { return *pool_; }

  // Stores n tokens' k and v ([n, n_kv_heads, head_dim] float32) at positions pos0 .. pos0 + n
  // - 1, converted to the pool's types by `backend`.
  void write(kernels::Backend& backend, int64_t layer, int64_t pos0, int64_t n, const float* k,
             const float* v);
  // Fills the layout fields of an attention call over this cache (types, block table, strides).
  void describe(kernels::AttentionShape& shape) const;
  const std::byte* keys(int64_t layer) const { return pool_->keys(layer); }
  const std::byte* values(int64_t layer) const { return pool_->values(layer); }

 private:
  std::unique_ptr<KvPool> own_pool_;  // only for a standalone sequence
  KvPool* pool_;
  std::vector<int32_t> blocks_;
};

}  // namespace junction
