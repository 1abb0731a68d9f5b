#include "engine/block_manager.h"

#include <algorithm>
#include <stdexcept>

namespace junction {

BlockManager::BlockManager(int64_t n_blocks, int64_t block_size)
    : block_size_(std::max<int64_t>(1, block_size)), blocks_(std::max<int64_t>(0, n_blocks)) {
  for (int64_t b = n_blocks - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
}

uint64_t BlockManager::chain_hash(uint64_t parent, std::span<const int32_t> tokens) {
  // splitmix64 over the parent and each token: cheap, well mixed; matches are verified anyway.
  auto mix = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  uint64_t h = mix(parent);
  for (int32_t t : tokens) h = mix(h ^ static_cast<uint32_t>(t));
  return h;
}

PrefixMatch BlockManager::match(std::span<const int32_t> tokens, int64_t max_tokens) const {
  PrefixMatch m;
  uint64_t parent = kRootHash;
  const int64_t limit = std::min<int64_t>(max_tokens, static_cast<int64_t>(tokens.size()));
  for (int64_t begin = 0; begin + block_size_ <= limit; begin += block_size_) {
    const auto chunk = tokens.subspan(begin, block_size_);
    const uint64_t h = chain_hash(parent, chunk);
    const auto it = by_hash_.find(h);
    if (it == by_hash_.end()) break;
    const Block& b = blocks_[it->second];
    if (b.parent_hash != parent || !std::equal(chunk.begin(), chunk.end(), b.tokens.begin())) break;
    m.blocks.push_back(it->second);
    m.hashes.push_back(parent = h);
  }
  return m;
}

void BlockManager::acquire(int32_t block) {
  Block& b = blocks_.at(block);
  if (b.refs == 0) {
    if (!b.published) throw std::logic_error("acquiring a block that holds no prefix");
    lru_.erase(b.lru);
  }
  ++b.refs;
}

std::optional<int32_t> BlockManager::allocate() {
  int32_t block;
  if (!free_.empty()) {
    block = free_.back();
    free_.pop_back();
  } else if (!lru_.empty()) {
    block = lru_.front();
    lru_.pop_front();
    forget(block);
  } else {
    return std::nullopt;
  }
  blocks_[block].refs = 1;
  return block;
}

void BlockManager::release(int32_t block) {
  Block& b = blocks_.at(block);
  if (b.refs <= 0) throw std::logic_error("releasing a block nobody holds");
  if (--b.refs > 0) return;
  if (b.published) {
    b.lru = lru_.insert(lru_.end(), block);
  } else {
    free_.push_back(block);
  }
}

void BlockManager::publish(int32_t block, uint64_t parent_hash, uint64_t hash,
                           std::span<const int32_t> tokens) {
  Block& b = blocks_.at(block);
  if (b.published || b.refs <= 0 || by_hash_.contains(hash)) return;
  b.published = true;
  b.hash = hash;
  b.parent_hash = parent_hash;
  b.tokens.assign(tokens.begin(), tokens.end());
  by_hash_.emplace(hash, block);
}

void BlockManager::forget(int32_t block) {
  Block& b = blocks_[block];
  if (!b.published) return;
  by_hash_.erase(b.hash);
  b.published = false;
  b.tokens.clear();
}

}  // namespace junction
