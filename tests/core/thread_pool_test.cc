#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

namespace junction {
namespace {

TEST(ThreadPool, ParallelForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 7, 16, 17, 100, 1001}) {
      for (int64_t grain : {1, 4, 16}) {
        std::vector<std::atomic<int>> hits(n);
        pool.parallel_for(n, grain, [&](int64_t begin, int64_t end) {
          EXPECT_TRUE(begin % grain == 0);
          for (int64_t i = begin; i < end; ++i) hits[i]++;
        });
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(hits[i].load(), 1) << threads << " " << n << " " << grain;
      }
    }
  }
}

TEST(ThreadPool, RunReachesEveryThreadManyTimes) {
  ThreadPool pool(3);
  std::atomic<int> total{0};
  for (int round = 0; round < 500; ++round) {
    std::atomic<int> mask{0};
    pool.run([&](int t) { mask |= 1 << t; });
    ASSERT_EQ(mask.load(), 7);
    total++;
  }
  EXPECT_EQ(total.load(), 500);
}

// parallel_for lets late workers skip a job and threads steal each other's chunks; run() still
// needs every thread. Interleaved many times (with a thread that sometimes sleeps inside a
// chunk, as a descheduled one would), every index is still done exactly once and run() still
// reaches every thread.
TEST(ThreadPool, ParallelForAndRunInterleavedWithSlowChunks) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(4096);
  for (int round = 0; round < 2000; ++round) {
    const int64_t n = 1 + (round * 37) % 4096;
    for (int64_t i = 0; i < n; ++i) hits[i] = 0;
    pool.parallel_for(n, 16, [&](int64_t begin, int64_t end) {
      if (round % 97 == 0 && begin == 0)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      for (int64_t i = begin; i < end; ++i) hits[i]++;
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "round " << round << " " << i;
    if (round % 3 == 0) {  // a shared counter: every task done once, whoever runs
      std::atomic<int> next{0}, done{0};
      pool.run_with_whoever_starts([&](int) {
        while (next.fetch_add(1) < 100) done++;
      });
      ASSERT_EQ(done.load(), 100) << "round " << round;
    }
    if (round % 5 == 0) {
      std::atomic<int> mask{0};
      pool.run([&](int t) { mask |= 1 << t; });
      ASSERT_EQ(mask.load(), 7) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace junction
