// What the kernel benchmarks time with: the calling thread's CPU time (other processes on a
// shared machine then slow the numbers less than wall time would) and the median of repeats.
#pragma once

#include <time.h>

#include <algorithm>
#include <vector>

namespace junction::bench {

inline double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// CPU time of every thread of the process: on a loaded machine wall time also counts the time
// other processes held the cores; this counts the work (and the pool's short spins).
inline double process_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace junction::bench
