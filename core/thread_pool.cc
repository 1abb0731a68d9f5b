#include "core/thread_pool.h"

#include <immintrin.h>

namespace junction {
namespace {
// ~20 µs of spinning before sleeping: long enough to cover the gap between two jobs of one
// forward pass, short enough that an idle server does not burn a core.
constexpr int kSpinIterations = 20000;

inline void cpu_relax() {
  _mm_pause();
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  workers_.reserve(n_threads_ - 1);
  for (int t = 1; t < n_threads_; ++t) workers_.emplace_back([this, t] { worker(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_release);
  epoch_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::dispatch() {
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_release);
  epoch_.notify_all();
  job_(job_ctx_, 0);
  // Spin briefly, then sleep: when the machine is oversubscribed a worker may be descheduled,
  // and a spinning caller would only steal the core it needs.
  for (int spins = 0; spins < kSpinIterations; ++spins) {
    if (pending_.load(std::memory_order_acquire) == 0) return;
    cpu_relax();
  }
  for (int left; (left = pending_.load(std::memory_order_acquire)) != 0;)
    pending_.wait(left, std::memory_order_acquire);
}

void ThreadPool::worker(int thread_index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t now = epoch_.load(std::memory_order_acquire);
    for (int spins = 0; now == seen && spins < kSpinIterations; ++spins) {
      cpu_relax();
      now = epoch_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      epoch_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = now;
    if (stop_.load(std::memory_order_relaxed)) return;
    job_(job_ctx_, thread_index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

}  // namespace junction
