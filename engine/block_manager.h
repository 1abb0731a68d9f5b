// The physical KV blocks of one pool (model/kv_cache.h) and who holds them. A block is free,
// in use (reference counted: sequences with a common prompt prefix share its blocks), or
// cached: no longer referenced but still holding the keys and values of a known token prefix,
// kept for a later request with the same prefix until its memory is needed (least recently
// released first). Pure logic: no model, no clocks.
//
// Prefix identity is vLLM's automatic prefix caching: a full block is named by a hash chained
// over every token before and in it, so a match at block i implies the whole prefix matches.
// Only full blocks are shared, and a shared block is never written again (a sequence writes
// only positions past its reused prefix), so sharing needs no copy-on-write. A match is also
// checked against the block's stored tokens and parent hash, so a hash collision cannot hand
// out the wrong keys and values.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace junction {

struct PrefixMatch {
  std::vector<int32_t> blocks;   // holding tokens [0, blocks.size() * block_size)
  std::vector<uint64_t> hashes;  // each block's chained hash
};

class BlockManager {
 public:
  BlockManager(int64_t n_blocks, int64_t block_size);

  static constexpr uint64_t kRootHash = 0x6a09e667f3bcc908ULL;
  // The name of a full block of `tokens` that follows the prefix named `parent`.
  static uint64_t chain_hash(uint64_t parent, std::span<const int32_t> tokens);

  // The blocks (in use or cached) holding the longest prefix of `tokens` in whole blocks, at
  // most max_tokens tokens long.
  PrefixMatch match(std::span<const int32_t> tokens, int64_t max_tokens) const;

  // Takes a reference on a block returned by match(); a cached block stops being evictable.
  void acquire(int32_t block);
  // A block for new keys and values: a free one, else the least recently released cached one
  // (its prefix is forgotten). nullopt when every block is in use.
  std::optional<int32_t> allocate();
  // Drops a reference; at zero the block becomes cached if it holds a published prefix, else
  // free.
  void release(int32_t block);
  // `block` now holds a full block of `tokens` following the prefix named `parent_hash`; its
  // name is `hash`. If another block already holds that prefix, this one stays anonymous.
  void publish(int32_t block, uint64_t parent_hash, uint64_t hash, std::span<const int32_t> tokens);

  int64_t n_blocks() const { return static_cast<int64_t>(blocks_.size()); }
  int64_t block_size() const { return block_size_; }
  int64_t n_free() const { return static_cast<int64_t>(free_.size()); }
  int64_t n_cached() const { return static_cast<int64_t>(lru_.size()); }
  int64_t n_in_use() const { return n_blocks() - n_free() - n_cached(); }
  int64_t n_available() const { return n_free() + n_cached(); }
  int ref_count(int32_t block) const { return blocks_[block].refs; }

 private:
  struct Block {
    int refs = 0;
    bool published = false;
    uint64_t hash = 0, parent_hash = 0;
    std::vector<int32_t> tokens;       // when published
    std::list<int32_t>::iterator lru;  // valid while cached
  };
  void forget(int32_t block);

  int64_t block_size_;
  std::vector<Block> blocks_;
  std::vector<int32_t> free_;  // a stack: recently freed blocks are still warm in cache
  std::list<int32_t> lru_;     // cached blocks, least recently released first
  std::unordered_map<uint64_t, int32_t> by_hash_;
};

}  // namespace junction
