// A fixed set of worker threads that run one job at a time, the caller included. Built for the
// engine's per-layer fork/join: a job is published by bumping an epoch that workers spin on
// briefly (a decode step of a 0.6B model issues ~225 jobs, so waking a sleeping thread per job
// would cost more than the work), then sleep on it with std::atomic::wait.
//
// parallel_for splits its range into one slice per thread, each cut into a few chunks; a thread
// claims chunks of its own slice first (an uncontended counter in its own cache line) and then
// steals what is left of the others'. A worker that starts late, because the scheduler gave its
// core to another process, finds its chunks taken and the job closed, and the caller does not
// wait for it: on a shared machine a descheduled worker delays a job by a chunk, not by a
// scheduler time slice. Not global: the engine context owns one and passes it down.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
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
    dispatch(/*every_thread=*/true);
  }

  // Calls fn(thread_index) on this thread and on each worker that starts before this thread's
  // call returns; a worker that starts later skips it. For jobs that share their work out
  // through their own counter, so that whoever runs takes it all: a descheduled worker then
  // costs nothing but its own unfinished piece.
  template <class F>
  void run_with_whoever_starts(F&& fn) {
    if (n_threads_ == 1) {
      fn(0);
      return;
    }
    job_ = [](void* ctx, int thread_index) { (*static_cast<F*>(ctx))(thread_index); };
    job_ctx_ = &fn;
    dispatch(/*every_thread=*/false);
  }

  // Calls fn(begin, end) over disjoint ranges covering [0, n), each starting at a multiple of
  // `grain` (and ending at one, or at n), on as many threads as are running; returns when all
  // of [0, n) is done. Which thread gets which range is not fixed.
  template <class F>
  void parallel_for(int64_t n, int64_t grain, F&& fn) {
    if (n <= 0) return;
    const int64_t units = (n + grain - 1) / grain;
    const int threads = static_cast<int>(std::min<int64_t>(n_threads_, units));
    if (threads <= 1) {
      fn(int64_t{0}, n);
      return;
    }
    // Slices of whole units; each slice in up to kChunksPerSlice chunks.
    const int64_t chunk_units = std::max<int64_t>(1, units / (threads * kChunksPerSlice));
    for (int t = 0; t < threads; ++t) {
      slices_[t].next.store(units * t / threads, std::memory_order_relaxed);
      slices_[t].end = units * (t + 1) / threads;
    }
    auto body = [&](int thread) {
      auto take = [&](int s) {
        // The plain load first: a thread looking at a finished slice of another's then only
        // shares its cache line instead of taking it away.
        while (slices_[s].next.load(std::memory_order_relaxed) < slices_[s].end) {
          const int64_t u = slices_[s].next.fetch_add(chunk_units, std::memory_order_relaxed);
          if (u >= slices_[s].end) return;
          const int64_t u_end = std::min(slices_[s].end, u + chunk_units);
          fn(u * grain, std::min(n, u_end * grain));
        }
      };
      if (thread < threads) take(thread);
      for (int s = 1; s < threads; ++s) take((thread + s) % threads);
    };
    job_ = [](void* ctx, int thread_index) { (*static_cast<decltype(body)*>(ctx))(thread_index); };
    job_ctx_ = &body;
    dispatch(/*every_thread=*/false);
  }

 private:
  static constexpr int kChunksPerSlice = 4;
  struct alignas(64) Slice {
    std::atomic<int64_t> next{0};  // first unit not yet claimed
    int64_t end = 0;
  };

  // Runs job_ on this thread and the workers. every_thread: returns once every worker has run
  // it; otherwise once this thread's call is done and every worker that joined has left, late
  // workers skipping the job.
  void dispatch(bool every_thread);
  void worker(int thread_index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::unique_ptr<Slice[]> slices_;
  void (*job_)(void*, int) = nullptr;
  void* job_ctx_ = nullptr;
  alignas(64) std::atomic<uint64_t> epoch_{0};
  // The current job's epoch (high 32 bits), whether it is closed to late workers (bit 31) and
  // how many workers are inside it or still owed to it (low bits).
  alignas(64) std::atomic<uint64_t> state_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace junction
