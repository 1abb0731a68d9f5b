// Sharded word -> ids cache; see word_cache.h.
#include "tokenizer/word_cache.h"

namespace junction::tokenizer {

WordCache::Shard& WordCache::shard_for(std::string_view word, size_t* hash) const {
  *hash = Hash()(word);
  // The map uses the low bits; pick the shard from the high ones.
  return shards_[(*hash >> 56) % kShards];
}

bool WordCache::lookup(std::string_view word, std::vector<int32_t>& out) const {
  size_t hash = 0;
  Shard& shard = shard_for(word, &hash);
  std::lock_guard<std::mutex> lock(shard.mutex);
  const auto it = shard.map.find(word);
  if (it == shard.map.end()) return false;
  out.insert(out.end(), it->second.begin(), it->second.end());
  return true;
}

void WordCache::insert(std::string_view word, const int32_t* ids, size_t n_ids) {
  size_t hash = 0;
  Shard& shard = shard_for(word, &hash);
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.map.size() >= shard_capacity_) shard.map.clear();
  shard.map.emplace(std::string(word), std::vector<int32_t>(ids, ids + n_ids));
}

}  // namespace junction::tokenizer
