#include "gateway/key_cache.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

std::shared_ptr<const ApiKeyRecord> key(const std::string& id, int64_t rpm) {
  ApiKeyRecord k;
  k.id = id;
  k.rpm = rpm;
  return std::make_shared<const ApiKeyRecord>(k);
}

TEST(KeyCache, KeepsRecordsForTheTtlOnly) {
  KeyCache cache(1000);
  EXPECT_EQ(cache.get("h1", 0), nullptr);
  cache.put("h1", key("key_1", 5), 100);
  ASSERT_NE(cache.get("h1", 100), nullptr);
  EXPECT_EQ(cache.get("h1", 1099)->rpm, 5);
  EXPECT_EQ(cache.get("h1", 1100), nullptr);  // 1 s after it was read: read again
  EXPECT_EQ(cache.get("h1", 1099), nullptr);  // and gone, not revived
}

TEST(KeyCache, ClearForgetsEverything) {
  KeyCache cache(1000);
  cache.put("h1", key("key_1", 5), 0);
  cache.put("h2", key("key_2", 6), 0);
  cache.clear();
  EXPECT_EQ(cache.get("h1", 1), nullptr);
  EXPECT_EQ(cache.get("h2", 1), nullptr);
}

TEST(KeyCache, BoundedAndOffWithZeroTtl) {
  KeyCache bounded(1000, 2);
  bounded.put("h1", key("key_1", 1), 0);
  bounded.put("h2", key("key_2", 2), 0);
  bounded.put("h3", key("key_3", 3), 0);  // past the bound: the old entries go
  EXPECT_EQ(bounded.get("h1", 1), nullptr);
  EXPECT_EQ(bounded.get("h3", 1)->rpm, 3);
  KeyCache off(0);
  off.put("h1", key("key_1", 1), 0);
  EXPECT_EQ(off.get("h1", 0), nullptr);
}

}  // namespace
}  // namespace junction::gateway
