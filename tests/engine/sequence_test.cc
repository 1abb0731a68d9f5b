// Sequence::rewind: tokens fed after a rewind see only the context before it, as if the
// forgotten tokens had never been fed (bench-model measures many times from one filled depth).
#include "engine/sequence.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"

namespace junction {
namespace {

const std::string kModel = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";

TEST(Sequence, FeedingAfterARewindEqualsNeverHavingFedTheForgottenTokens) {
  const auto model = Model::load(kModel);
  ThreadPool pool(2);
  const auto backend = kernels::make_cpu_backend(pool);
  const std::vector<int32_t> head = {101, 2023, 7, 15000, 42};
  const std::vector<int32_t> forgotten = {9, 8, 77777, 6};
  const std::vector<int32_t> tail = {314, 1592, 65};

  Sequence fresh(*model, 16, kKvCacheF16);
  fresh.feed(*backend, head);
  const auto fresh_span = fresh.feed(*backend, tail);
  const std::vector<float> expected(fresh_span.begin(), fresh_span.end());

  Sequence rewound(*model, 16, kKvCacheF16);
  rewound.feed(*backend, head);
  rewound.feed(*backend, forgotten);
  rewound.rewind(static_cast<int64_t>(head.size()));
  EXPECT_EQ(rewound.position(), static_cast<int64_t>(head.size()));
  const auto got = rewound.feed(*backend, tail);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "logit " << i;
}

TEST(Sequence, RewindBeyondThePositionOrBelowZeroIsAnError) {
  const auto model = Model::load(kModel);
  ThreadPool pool(1);
  const auto backend = kernels::make_cpu_backend(pool);
  Sequence seq(*model, 8, kKvCacheF32);
  const std::vector<int32_t> two = {5, 6};
  seq.feed(*backend, two);
  EXPECT_THROW(seq.rewind(3), Error);
  EXPECT_THROW(seq.rewind(-1), Error);
  seq.rewind(0);
  EXPECT_EQ(seq.position(), 0);
}

}  // namespace
}  // namespace junction
