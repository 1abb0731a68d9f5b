// A fixed set of worker threads that run one job at a time on every thread, the caller
// included. Built for the engine's per-layer fork/join: a job is published by bumping an
// epoch that workers spin on briefly (a decode step issues hundreds of jobs, so waking a
// sleeping thread per job would cost more than the work), then sleep on it with
// std::atomic::wait. Not global: the engine context owns one and passes it down.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace junction {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // total threads, the caller counted as thread 0
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(thread_index) once on each of size() threads; returns when all have finished.
  template <class F>
  void run(F&& fn) {
    if (n_threads_ == 1) {
      fn(0);
      return;
    }
    job_ = [](void* ctx, int thread_index) { (*static_cast<F*>(ctx))(thread_index); };
    job_ctx_ = &fn;
    dispatch();
  }

  // Splits [0, n) into size() contiguous ranges whose bounds are multiples of `grain`
  // (except the end) and calls fn(begin, end) for each non-empty range.
  template <class F>
  void parallel_for(int64_t n, int64_t grain, F&& fn) {
    if (n <= 0) return;
    const int64_t units = (n + grain - 1) / grain;
    const int64_t threads = std::min<int64_t>(n_threads_, units);
    if (threads <= 1) {
      fn(int64_t{0}, n);
      return;
    }
    run([&](int t) {
      if (t >= threads) return;
      const int64_t begin = std::min(n, units * t / threads * grain);
      const int64_t end = std::min(n, units * (t + 1) / threads * grain);
      if (begin < end) fn(begin, end);
    });
  }

 private:
  void dispatch();
  void worker(int thread_index);

  int n_threads_;
  std::vector<std::thread> workers_;
  void (*job_)(void*, int) = nullptr;
  void* job_ctx_ = nullptr;
  alignas(64) std::atomic<uint64_t> epoch_{0};
  alignas(64) std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace junction
