// Key records by key hash, kept for a short time so that authenticating a request does not read
// the store every time (a query, a lock and a copy per request at thousands per second).
// What it trades: a key disabled through another gateway process sharing the store is still
// accepted here for up to `ttl_ms`, and its rpm/tpm/model limits apply as they were read.
// Credits are not part of that trade: every reservation goes to the store. Admin writes in this
// process call clear(), so they take effect here at once. Unknown keys are not cached (a key
// just created by another process works at once). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "gateway/store.h"

namespace junction::gateway {

class KeyCache {
 public:
  // ttl_ms 0: no caching.
  explicit KeyCache(int64_t ttl_ms, size_t max_entries = 100000)
      : ttl_ms_(ttl_ms), max_entries_(max_entries) {}

  // The record cached for `key_hash` at most ttl_ms before now_ms (monotonic), or null.
  std::shared_ptr<const ApiKeyRecord> get(const std::string& key_hash, int64_t now_ms);
  void put(const std::string& key_hash, std::shared_ptr<const ApiKeyRecord> record, int64_t now_ms);
  void clear();

 private:
  struct Entry {
    std::shared_ptr<const ApiKeyRecord> record;
    int64_t read_ms;
  };
  const int64_t ttl_ms_;
  const size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace junction::gateway
