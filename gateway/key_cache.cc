#include "gateway/key_cache.h"

namespace junction::gateway {

std::shared_ptr<const ApiKeyRecord> KeyCache::get(const std::string& key_hash, int64_t now_ms) {
  if (ttl_ms_ <= 0) return nullptr;
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key_hash);
  if (it == entries_.end()) return nullptr;
  if (now_ms - it->second.read_ms >= ttl_ms_) {
    entries_.erase(it);
    return nullptr;
  }
  return it->second.record;
}

void KeyCache::put(const std::string& key_hash, std::shared_ptr<const ApiKeyRecord> record,
                   int64_t now_ms) {
  if (ttl_ms_ <= 0) return;
  std::lock_guard lock(mutex_);
  // Bounded: past the bound everything goes (entries are cheap to read again).
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_[key_hash] = Entry{std::move(record), now_ms};
}

void KeyCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

}  // namespace junction::gateway
