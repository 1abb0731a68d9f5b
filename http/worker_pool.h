// Threads for the listener's blocking work: handlers, which wait for the engine or an upstream
// for as long as a generation lasts, and admission checks, which may ask a database. A job gets
// an idle thread or a new one (up to max_threads; beyond, it waits its turn); threads idle for
// a while end, except a few kept warm. The listener keeps at most one job per connection, so
// with max_threads above its connection limit no job ever waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace junction::http {

class WorkerPool {
 public:
  explicit WorkerPool(int max_threads, int warm_threads = 4,
                      std::chrono::seconds idle_exit = std::chrono::seconds(30));
  // Waits for the threads (see stop_and_wait).
  ~WorkerPool();

  // Runs `job` on a pool thread. False (the job dropped) when the pool is stopping, or no
  // thread is idle and none could be created.
  bool post(std::function<void()> job);

  // Lets queued jobs finish, ends idle threads, and waits up to `timeout` for every thread.
  void stop_and_wait(std::chrono::milliseconds timeout);

 private:
  void work();

  const int max_threads_, warm_threads_;
  const std::chrono::seconds idle_exit_;
  std::mutex mutex_;
  std::condition_variable job_or_stop_, thread_ended_;
  std::deque<std::function<void()>> jobs_;
  int threads_ = 0, idle_ = 0;
  bool stopping_ = false;
};

}  // namespace junction::http
