// The system calls a sandboxed program may make: a seccomp allow-list (eval/sandbox.h's last
// layer). The namespaces and the separate uid take away what the program can reach; this takes
// away the kernel interfaces it has no business using, each an attack surface of its own:
// creating namespaces (unshare, clone with CLONE_NEW*), ptrace and reading other processes'
// memory, keyrings, BPF, perf events, userfaultfd, io_uring, mounting, module loading,
// sockets, and typing into a terminal (TIOCSTI). Anything not on the list fails with EPERM, so
// a program that merely probes gets an error it can handle, not a kill.
//
// Built before fork (libseccomp allocates), installed after it with one prctl, which is
// async-signal-safe.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace junction::eval {

class SyscallFilter {
 public:
  // The allow-list for this machine's architecture as a BPF program; throws junction::Error when
  // libseccomp cannot build it.
  static SyscallFilter for_python_programs();

  // Installs the filter on the calling thread; it requires no_new_privs (or CAP_SYS_ADMIN) and
  // is inherited across fork and execve. False when the kernel refused it. Async-signal-safe.
  bool install() const noexcept;

 private:
  std::vector<sock_filter> program_;
};

}  // namespace junction::eval
