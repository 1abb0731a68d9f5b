// A cgroup of its own for one sandbox run (eval/sandbox.h): the whole process tree the program
// starts is held to one memory bound and one task count, and can be killed as one, whatever
// its processes did (setsid, double forks). The rlimits bound each process only: 16 processes
// of 512 MiB address space each are 8 GiB together.
//
// cgroup v2 where the harness's cgroup can hand the memory and pids controllers to a child
// (memory.max, memory.swap.max, pids.max, cgroup.kill); otherwise the v1 memory and pids
// hierarchies (memory.limit_in_bytes, memory.memsw.limit_in_bytes, pids.max, and SIGKILL to
// each member until none is left). The cgroup is made under the harness's own, so a container
// or a systemd unit that delegates a subtree to the harness works. Where neither is possible
// (not root, no delegation, controllers missing) the run goes on under the per-process limits
// and the result says so: see why_unavailable().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace junction::eval {

// Where new cgroups for this process go: its own cgroup's directory in each hierarchy, and that
// cgroup's path as /proc/PID/cgroup names it. Empty where the hierarchy is not mounted or this
// process's cgroup lies outside the mount. Pure (the two texts are /proc/self/mountinfo and
// /proc/self/cgroup), for tests.
struct CgroupPlace {
  std::string dir, path;
};
struct CgroupPlaces {
  CgroupPlace v2, v1_memory, v1_pids;
};
CgroupPlaces find_cgroup_places(const std::string& mountinfo, const std::string& self_cgroup);

class RunCgroup {
 public:
  // A new cgroup with memory bounded at `memory_bytes` (swap at 0) and `max_tasks` processes
  // and threads. Never throws; see active().
  RunCgroup(int64_t memory_bytes, int64_t max_tasks);
  ~RunCgroup();  // kills what is left in it and removes it
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

  bool active() const { return !dirs_.empty(); }
  // Why the run has no cgroup (empty when active()).
  const std::string& why_unavailable() const { return why_; }
  // "v2" or "v1".
  const char* version() const { return v2_ ? "v2" : "v1"; }

  // Moves the calling process into the cgroup (its children follow). Async-signal-safe: for a
  // child between fork and exec. False when a hierarchy refused it.
  bool join_self() const noexcept;

  // SIGKILLs every process in the cgroup and waits until it is empty (up to about 2 s).
  // Returns how many processes were still there to kill; -1 when it did not empty.
  int kill_all();

  // The memory bound was hit and the kernel killed a process for it (an OOM kill in the
  // cgroup).
  bool memory_exhausted() const;

 private:
  bool v2_ = false;
  std::vector<std::string> dirs_;   // v2: one; v1: memory, pids
  std::vector<std::string> paths_;  // each as /proc/PID/cgroup names it
  std::vector<int> procs_fds_;      // cgroup.procs of each, opened for writing
  std::string why_;
};

}  // namespace junction::eval
