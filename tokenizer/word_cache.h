// A bounded, thread-safe cache from a pre-tokenized word to its BPE ids. Natural text repeats
// words constantly, and BPE on a word costs far more than a hash lookup. Sharded by hash so
// concurrent encode calls rarely contend; a full shard is simply cleared (cheaper and simpler
// than LRU bookkeeping, and a cold shard refills in a few hundred words).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace junction::tokenizer {

class WordCache {
 public:
  explicit WordCache(size_t capacity) : shard_capacity_(capacity / kShards + 1) {}

  // Appends the cached ids of `word` to `out` and returns true on a hit.
  bool lookup(std::string_view word, std::vector<int32_t>& out) const;
  void insert(std::string_view word, const int32_t* ids, size_t n_ids);

 private:
  static constexpr size_t kShards = 16;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>, Hash, std::equal_to<>> map;
  };
  Shard& shard_for(std::string_view word, size_t* hash) const;

  size_t shard_capacity_;  // words per shard
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace junction::tokenizer
