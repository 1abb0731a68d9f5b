// Graceful shutdown for the servers: SIGTERM and SIGINT are taken by one thread with sigwait,
// so every other thread (started after this call, thread pools included) must block them;
// SIGPIPE is ignored, so a client that goes away is a failed write, not a dead process.
#pragma once

#include <signal.h>

namespace junction {

// Blocks SIGTERM and SIGINT in the calling thread (and the threads it starts later), ignores
// SIGPIPE, and returns the set to sigwait on.
sigset_t block_shutdown_signals();

}  // namespace junction
