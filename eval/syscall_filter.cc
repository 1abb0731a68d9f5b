#include "eval/syscall_filter.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "core/error.h"

namespace junction::eval {
namespace {

// What a Python program (the interpreter, its standard library, threads, subprocess) needs:
// files in its own directory and the read-only rest, memory, time, signals, its own processes
// and pipes. Names the architecture lacks (open, stat, fork, ... on ARM64) are skipped.
constexpr const char* kAllowed[] = {
    // Files and descriptors.
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "open",
    "openat",
    "openat2",
    "creat",
    "close",
    "close_range",
    "lseek",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "ftruncate",
    "truncate",
    "fallocate",
    "stat",
    "fstat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "getdents",
    "getdents64",
    "getcwd",
    "chdir",
    "fchdir",
    "mkdir",
    "mkdirat",
    "rmdir",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "unlink",
    "unlinkat",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "umask",
    "utime",
    "utimes",
    "utimensat",
    "futimesat",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "sendfile",
    "copy_file_range",
    "splice",
    "tee",
    "pipe",
    "pipe2",
    "ioctl",
    "memfd_create",
    "mknod",
    "mknodat",  // FIFOs; device nodes need CAP_MKNOD, which it lacks
    // Waiting on descriptors.
    "select",
    "pselect6",
    "poll",
    "ppoll",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "eventfd",
    "eventfd2",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "signalfd",
    "signalfd4",
    // Memory.
    "brk",
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "madvise",
    "msync",
    "mincore",
    "membarrier",
    "get_mempolicy",
    // Its own processes and threads (clone is allowed below, without namespace flags).
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "wait4",
    "waitid",
    "fork",
    "vfork",
    "getpid",
    "getppid",
    "gettid",
    "getpgid",
    "getpgrp",
    "getsid",
    "setsid",
    "setpgid",
    "kill",
    "tgkill",
    "tkill",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "getgroups",
    "capget",
    "prlimit64",
    "getrlimit",
    "setrlimit",
    "getrusage",
    "times",
    "sched_yield",
    "sched_getaffinity",
    "sched_setaffinity",
    "sched_getparam",
    "sched_getscheduler",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getattr",
    "set_tid_address",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "futex",
    "futex_waitv",
    "arch_prctl",
    "prctl",
    "uname",
    "sysinfo",
    "getrandom",
    "getcpu",
    // Time and signals.
    "nanosleep",
    "clock_nanosleep",
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "alarm",
    "setitimer",
    "getitimer",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_delete",
    "timer_getoverrun",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigsuspend",
    "sigaltstack",
    "pause",
    "restart_syscall",
    // Talking over a socketpair (socketpair itself: AF_UNIX only, below); no socket().
    "sendmsg",
    "recvmsg",
    "sendto",
    "recvfrom",
    "shutdown",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
};

// clone() flags that make a namespace: each is kernel attack surface (user namespaces above all)
// that a program under test never needs.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                     CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

}  // namespace

SyscallFilter SyscallFilter::for_python_programs() {
  const std::unique_ptr<void, decltype(&seccomp_release)> ctx(seccomp_init(SCMP_ACT_ERRNO(EPERM)),
                                                              seccomp_release);
  if (!ctx) throw Error("seccomp: cannot create a filter");
  const auto check = [](int rc, const std::string& what) {
    if (rc < 0) throw Error("seccomp: " + what + ": " + std::strerror(-rc));
  };
  for (const char* name : kAllowed) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0), name);
  }
  // fork() and threads: glibc calls clone(); clone3 passes its flags in memory, out of the
  // filter's sight, so it answers ENOSYS and glibc falls back to clone.
  check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, kNamespaceFlags, 0)),
        "clone");
  const int clone3 = seccomp_syscall_resolve_name("clone3");
  if (clone3 != __NR_SCMP_ERROR)
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), clone3, 0), "clone3");
  check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
                         SCMP_A0(SCMP_CMP_EQ, AF_UNIX)),
        "socketpair");

  // libseccomp writes the program to a descriptor; a memfd keeps it in memory.
  const int fd = memfd_create("junction-seccomp", MFD_CLOEXEC);
  if (fd < 0) throw Error(std::string("seccomp: memfd_create: ") + std::strerror(errno));
  struct Close {
    int fd;
    ~Close() { close(fd); }
  } closer{fd};
  check(seccomp_export_bpf(ctx.get(), fd), "exporting the filter");
  const off_t bytes = lseek(fd, 0, SEEK_END);
  if (bytes <= 0 || bytes % static_cast<off_t>(sizeof(sock_filter)) != 0)
    throw Error("seccomp: the exported filter has an odd size");
  if (bytes / static_cast<off_t>(sizeof(sock_filter)) > BPF_MAXINSNS)
    throw Error("seccomp: the filter is longer than the kernel accepts");
  SyscallFilter filter;
  filter.program_.resize(static_cast<size_t>(bytes) / sizeof(sock_filter));
  if (pread(fd, filter.program_.data(), static_cast<size_t>(bytes), 0) != bytes)
    throw Error("seccomp: cannot read the exported filter back");
  return filter;
}

bool SyscallFilter::install() const noexcept {
  const sock_fprog prog{static_cast<unsigned short>(program_.size()),
                        const_cast<sock_filter*>(program_.data())};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0;
}

}  // namespace junction::eval
