// Runs untrusted Python (HumanEval completions) in a separate process and survives it: fork
// bombs, infinite loops, infinite output, memory hogs, attempts to reach the network.
//
// Layers, each for one threat:
// - a new PID namespace (unshare(CLONE_NEWPID)) whose init is a reaper we control: killing it
//   tears down every process the program started, even ones that called setsid();
// - a new network namespace (no interfaces but a down loopback) and a uid of its own (the
//   harness runs as root): without both the sandbox fails closed, the program is not run and
//   SandboxUnavailable says why, unless `allow_unisolated` (`--unsafe-sandbox`) accepts running
//   it as the harness's user, with its files and possibly the network;
// - a mount namespace (root): every mount read-only, private tmpfs /tmp and /dev/shm, a /proc
//   showing only its own processes, the scratch directory its one writable place on disk;
// - a seccomp allow-list of system calls (eval/syscall_filter.h): no new namespaces, ptrace,
//   keyrings, BPF, perf events, io_uring, sockets, ...; and a session of its own, without the
//   user's terminal;
// - rlimits: CPU seconds, address space, no core files, a small process count (applies once
//   the program runs as `nobody`, which it does when we are root), per-file size;
// - a cgroup of the run's own where the machine allows one (eval/run_cgroup.h): one memory
//   bound and one task count for all of its processes together, and a kill that reaches each
//   of them after the run, PID namespace or not. Without it the run still goes ahead under the
//   per-process limits above, and the result says so (tree_limited, tree_limits_note);
// - stdout and stderr through pipes the harness holds, capped (infinite output is killed);
//   nothing is read back from the scratch directory, which the program can rearrange;
// - a wall-clock timeout after which the whole process group gets SIGKILL;
// - a fresh scratch directory as cwd, HOME and TMPDIR, the sandbox uid's alone, deleted
//   afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace junction::eval {

struct SandboxLimits {
  double cpu_seconds = 3;                      // RLIMIT_CPU
  double wall_seconds = 10;                    // killed after this much real time
  int64_t address_space = int64_t{512} << 20;  // bytes, RLIMIT_AS
  int64_t max_processes = 16;                  // RLIMIT_NPROC for the sandbox user
  // All of the run's processes together, where it gets a cgroup: memory (no swap) and tasks
  // (max_processes, plus the sandbox's own two).
  int64_t memory_bytes = int64_t{1} << 30;
  int64_t max_file_bytes = int64_t{1} << 20;  // RLIMIT_FSIZE; also the cap on stdout, stderr
  size_t output_keep = 4096;                  // bytes of stdout/stderr kept in the result
  // The interpreter; empty: /usr/bin/python3, /usr/local/bin/python3, then PATH. It must be
  // executable by the sandbox's unprivileged uid (a pyenv shim under /root is not).
  std::string python;
  // Run even where the program cannot get a network namespace and a uid of its own (the
  // harness is not root, or the kernel refuses namespaces); the result says what it lacked.
  bool allow_unisolated = false;
};

// The program was not run: this machine cannot isolate it, and allow_unisolated is off.
class SandboxUnavailable : public Error {
 public:
  using Error::Error;
};

struct SandboxResult {
  bool passed = false;     // ran to its end and exited with status 0, within the limits
  bool timed_out = false;  // wall-clock limit hit
  int exit_code = -1;      // when it exited
  int signal = 0;          // when a signal ended it (SIGXCPU, SIGKILL, ...)
  bool network_isolated = false;
  bool user_isolated = false;  // ran as a uid of its own; false: as the user running the harness
  // Saw a read-only file system with private /tmp, /dev/shm and /proc (root only).
  bool filesystem_isolated = false;
  // Its processes were held together to memory_bytes and max_processes in a cgroup of their
  // own, and killed through it. False: only the per-process rlimits held, for the reason in
  // tree_limits_note.
  bool tree_limited = false;
  std::string tree_limits_note;
  double wall_seconds = 0;
  std::string stdout_head, stderr_head;  // the first output_keep bytes
  std::string verdict;                   // "passed", "failed: AssertionError...", "timed out", ...
};

// Writes `program` to a scratch directory under `scratch_root` (the system temp dir when
// empty) and runs it with `python3 -I` there under `limits`. It passes when it ran to its last
// line (a nonce through a pipe proves it; see sandbox.cc) and exited with status 0. Thread-safe.
SandboxResult run_python_sandboxed(const std::string& program, const SandboxLimits& limits,
                                   const std::filesystem::path& scratch_root = {});

}  // namespace junction::eval
