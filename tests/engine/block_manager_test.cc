#include "engine/block_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace junction {
namespace {

// Publishes `tokens` (whole blocks) into freshly allocated blocks; returns the blocks.
std::vector<int32_t> publish_prefix(BlockManager& m, const std::vector<int32_t>& tokens) {
  std::vector<int32_t> blocks;
  uint64_t parent = BlockManager::kRootHash;
  const auto bs = static_cast<size_t>(m.block_size());
  for (size_t b = 0; b + bs <= tokens.size(); b += bs) {
    const int32_t block = *m.allocate();
    const auto chunk = std::span<const int32_t>(tokens).subspan(b, bs);
    const uint64_t h = BlockManager::chain_hash(parent, chunk);
    m.publish(block, parent, h, chunk);
    blocks.push_back(block);
    parent = h;
  }
  return blocks;
}

TEST(BlockManager, AllocatesEveryBlockOnceThenRunsOut) {
  BlockManager m(3, 2);
  std::vector<int32_t> got;
  for (int i = 0; i < 3; ++i) got.push_back(*m.allocate());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_FALSE(m.allocate());
  m.release(1);  // never published: free again
  EXPECT_EQ(m.n_free(), 1);
  EXPECT_EQ(*m.allocate(), 1);
  m.release(2);
  EXPECT_THROW(m.release(2), std::logic_error);
}

TEST(BlockManager, MatchesTheLongestPublishedPrefixInWholeBlocks) {
  BlockManager m(8, 2);
  const std::vector<int32_t> a = {1, 2, 3, 4, 5, 6, 7};
  const auto blocks = publish_prefix(m, a);  // 3 full blocks
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(m.match(a, 100).blocks, blocks);
  EXPECT_EQ(m.match(a, 5).blocks, (std::vector<int32_t>{blocks[0], blocks[1]}));
  EXPECT_EQ(m.match(std::vector<int32_t>{1, 2, 3, 9, 5, 6}, 100).blocks,
            (std::vector<int32_t>{blocks[0]}));
  // The same tokens at another position are another prefix.
  EXPECT_TRUE(m.match(std::vector<int32_t>{3, 4, 5, 6}, 100).blocks.empty());
  EXPECT_TRUE(m.match(std::vector<int32_t>{1}, 100).blocks.empty());
}

TEST(BlockManager, AHashCollisionDoesNotHandOutOtherTokensKv) {
  BlockManager m(4, 2);
  const std::vector<int32_t> wanted = {5, 6}, stored = {7, 8};
  // A block published under the hash `wanted` would have, but holding other tokens.
  const uint64_t h = BlockManager::chain_hash(BlockManager::kRootHash, wanted);
  m.publish(*m.allocate(), BlockManager::kRootHash, h, stored);
  EXPECT_TRUE(m.match(wanted, 2).blocks.empty());
}

TEST(BlockManager, ReleasedPrefixesStayCachedAndAreEvictedLeastRecentFirst) {
  BlockManager m(3, 1);
  const auto first = publish_prefix(m, {10});
  const auto second = publish_prefix(m, {20});
  m.release(first[0]);
  m.release(second[0]);
  EXPECT_EQ(m.n_cached(), 2);
  EXPECT_EQ(m.n_available(), 3);
  // Reviving a cached block takes it out of the eviction order.
  EXPECT_EQ(m.match(std::vector<int32_t>{10}, 1).blocks, first);
  m.acquire(first[0]);
  EXPECT_EQ(m.n_cached(), 1);
  // Free blocks go first, then the least recently released cached one (20), forgetting it.
  EXPECT_NE(*m.allocate(), second[0]);
  EXPECT_EQ(*m.allocate(), second[0]);
  EXPECT_TRUE(m.match(std::vector<int32_t>{20}, 1).blocks.empty());
  EXPECT_FALSE(m.allocate());
}

TEST(BlockManager, ASecondCopyOfAPrefixStaysAnonymous) {
  BlockManager m(4, 2);
  const std::vector<int32_t> t = {1, 2};
  const auto a = publish_prefix(m, t);
  const auto b = publish_prefix(m, t);  // computed concurrently by another sequence
  EXPECT_EQ(m.match(t, 2).blocks, a);
  m.release(b[0]);
  EXPECT_EQ(m.n_free(), 3) << "the anonymous copy is freed, not cached";
}

}  // namespace
}  // namespace junction
