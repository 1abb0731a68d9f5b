#include "core/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace junction {
namespace {
// Tells the core this is a spin-wait (x86 pause, ARM yield): the sibling hyperthread gets the
// pipeline and leaving the loop does not flush it.
inline void spin_pause() {
#if defined(__x86_64__)
  _mm_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// ~20 µs of spinning before sleeping: long enough to cover the gap between two jobs of one
// forward pass, short enough that an idle server does not burn a core.
constexpr int kSpinIterations = 20000;

// state_: the job's epoch in the high half, then two flags, then the worker count.
constexpr uint64_t kClosed = uint64_t{1} << 31;
constexpr uint64_t kEveryThread = uint64_t{1} << 30;
constexpr uint64_t kCountMask = kEveryThread - 1;

// Waiting: pause for the first kPureSpins iterations (the common case: the other thread is
// running and about to finish), then also yield every 64 iterations, so that on an
// oversubscribed machine a thread of this pool waiting in the same run queue gets the core.
constexpr int kPureSpins = 2000;

inline void wait_step(int spins) {
  if (spins >= kPureSpins && spins % 64 == 0) {
    std::this_thread::yield();
  } else {
    spin_pause();
  }
}

inline uint64_t job_tag(uint64_t epoch) {
  return (epoch & 0xffffffffu) << 32;
}
}  // namespace

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(std::max(1, n_threads)), slices_(new Slice[n_threads_]) {
  workers_.reserve(n_threads_ - 1);
  for (int t = 1; t < n_threads_; ++t) workers_.emplace_back([this, t] { worker(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_release);
  epoch_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::dispatch(bool every_thread) {
  const uint64_t epoch = epoch_.load(std::memory_order_relaxed) + 1;
  state_.store(job_tag(epoch) | (every_thread ? kEveryThread | (n_threads_ - 1) : 0),
               std::memory_order_relaxed);
  epoch_.store(epoch, std::memory_order_release);
  epoch_.notify_all();
  job_(job_ctx_, 0);
  // From here no worker may join; wait for those inside (or, for run(), all of them).
  uint64_t s = every_thread ? state_.load(std::memory_order_acquire)
                            : state_.fetch_or(kClosed, std::memory_order_acq_rel) | kClosed;
  // Spin briefly, then sleep: when the machine is oversubscribed a worker may be descheduled,
  // and a spinning caller would only steal the core it needs.
  for (int spins = 0; (s & kCountMask) != 0 && spins < kSpinIterations; ++spins) {
    wait_step(spins);
    s = state_.load(std::memory_order_acquire);
  }
  while ((s & kCountMask) != 0) {
    state_.wait(s, std::memory_order_acquire);
    s = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker(int thread_index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t now = epoch_.load(std::memory_order_acquire);
    for (int spins = 0; now == seen && spins < kSpinIterations; ++spins) {
      wait_step(spins);
      now = epoch_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      epoch_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = now;
    if (stop_.load(std::memory_order_relaxed)) return;
    // Join the job unless it is over: a later job already published (this one finished
    // without us; the loop will see the new epoch) or closed to late workers.
    uint64_t s = state_.load(std::memory_order_acquire);
    bool joined = false;
    while ((s & ~(kClosed | kEveryThread | kCountMask)) == job_tag(now)) {
      if (s & kEveryThread) {
        joined = true;  // counted in advance
        break;
      }
      if (s & kClosed) break;
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;
    job_(job_ctx_, thread_index);
    if (((state_.fetch_sub(1, std::memory_order_acq_rel) - 1) & kCountMask) == 0)
      state_.notify_one();
  }
}

}  // namespace junction
