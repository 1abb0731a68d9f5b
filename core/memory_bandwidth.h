// Measures this machine's read bandwidth the way a decode step uses memory: several threads
// each streaming their own slice of a buffer far larger than the caches, with vector loads.
#pragma once

#include "core/thread_pool.h"

namespace junction {

// Best of `repeats` passes over a `bytes`-sized buffer; GB/s (1e9 bytes per second).
double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int repeats);

}  // namespace junction
