#include "http/worker_pool.h"

#include <pthread.h>

#include <memory>

namespace junction::http {
namespace {

// Starts `work` on a thread created detached. Not std::thread + detach(): when the thread ends
// at once, glibc can free its stack between detach's two reads of the thread's descriptor, and
// the caller faults on it (seen under load: SIGSEGV in pthread_detach). False when no thread
// could be made.
bool spawn_detached(std::unique_ptr<std::function<void()>> work) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  auto* raw = work.release();
  const int rc = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        std::unique_ptr<std::function<void()>> run(static_cast<std::function<void()>*>(arg));
        (*run)();
        return nullptr;
      },
      raw);
  pthread_attr_destroy(&attr);
  if (rc != 0) delete raw;
  return rc == 0;
}

}  // namespace

WorkerPool::WorkerPool(int max_threads, int warm_threads, std::chrono::seconds idle_exit)
    : max_threads_(max_threads < 1 ? 1 : max_threads),
      warm_threads_(warm_threads),
      idle_exit_(idle_exit) {}

WorkerPool::~WorkerPool() {
  stop_and_wait(std::chrono::seconds(10));
}

bool WorkerPool::post(std::function<void()> job) {
  std::unique_lock lock(mutex_);
  if (stopping_) return false;
  jobs_.push_back(std::move(job));
  if (static_cast<size_t>(idle_) >= jobs_.size()) {
    job_or_stop_.notify_one();
    return true;
  }
  if (threads_ >= max_threads_) return true;  // taken by the next thread to finish its job
  ++threads_;
  lock.unlock();
  if (spawn_detached(std::make_unique<std::function<void()>>([this] { work(); }))) return true;
  lock.lock();
  --threads_;
  if (threads_ > 0) return true;  // a running thread will take it
  jobs_.pop_back();
  return false;
}

void WorkerPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    const bool woken =
        job_or_stop_.wait_for(lock, idle_exit_, [&] { return !jobs_.empty() || stopping_; });
    --idle_;
    if (jobs_.empty()) {
      if (stopping_ || (!woken && threads_ > warm_threads_)) break;
      continue;
    }
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    try {
      job();
    } catch (...) {
      // A job must not end the thread: the listener's jobs catch what their handler throws,
      // so this is a bug elsewhere, and losing the thread would lose the pool's count.
    }
    lock.lock();
  }
  --threads_;
  thread_ended_.notify_all();
}

void WorkerPool::stop_and_wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  job_or_stop_.notify_all();
  thread_ended_.wait_for(lock, timeout, [&] { return threads_ == 0; });
}

}  // namespace junction::http
