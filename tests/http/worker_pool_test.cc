// The listener's worker threads: every job runs, concurrent jobs get threads of their own (a
// handler that blocks must not hold another back), threads are reused rather than made per
// job, and stopping waits for the jobs in flight.
#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace junction::http {
namespace {

using namespace std::chrono_literals;

TEST(WorkerPool, BlockedJobsDoNotHoldOthersBack) {
  WorkerPool pool(16);
  std::mutex m;
  std::condition_variable cv;
  int started = 0;
  bool release = false;
  // Eight jobs that each wait until all eight run at once: they need eight threads.
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(pool.post([&] {
      std::unique_lock lock(m);
      ++started;
      cv.notify_all();
      cv.wait_for(lock, 5s, [&] { return started == 8 || release; });
    }));
  std::unique_lock lock(m);
  EXPECT_TRUE(cv.wait_for(lock, 5s, [&] { return started == 8; }));
  release = true;
  cv.notify_all();
}

TEST(WorkerPool, SequentialJobsReuseThreads) {
  WorkerPool pool(16);
  std::mutex m;
  std::set<std::thread::id> seen;
  for (int i = 0; i < 200; ++i) {
    std::atomic<bool> done{false};
    ASSERT_TRUE(pool.post([&] {
      std::lock_guard lock(m);
      seen.insert(std::this_thread::get_id());
      done = true;
    }));
    while (!done) std::this_thread::yield();
  }
  EXPECT_LE(seen.size(), 4u);  // one, or a few while a finished thread is not idle again yet
}

TEST(WorkerPool, StopWaitsForJobsInFlightAndRefusesNewOnes) {
  WorkerPool pool(4);
  std::atomic<bool> finished{false};
  ASSERT_TRUE(pool.post([&] {
    std::this_thread::sleep_for(200ms);
    finished = true;
  }));
  pool.stop_and_wait(5s);
  EXPECT_TRUE(finished);
  EXPECT_FALSE(pool.post([] {}));
}

}  // namespace
}  // namespace junction::http
