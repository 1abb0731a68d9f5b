// Process layout: this process forks A (its own process group; unshares the PID and network
// namespaces), A forks B (PID 1 of the new namespace when that worked: a reaper), B forks C,
// which drops to an unprivileged uid, sets the rlimits and no_new_privs and execs python3.
// B exits with C's status, A with B's. Each of A, B and C has SIGKILL as its parent-death
// signal, so a harness killed mid-run takes the program with it. When B, the namespace's PID 1,
// exits, the kernel kills every process left in the namespace: a daemon that double-forked
// and called setsid() included. A joins the run's cgroup first (where there is one), so all of
// them are in it too: after A is reaped, whatever is still in the cgroup is killed through it
// (without a PID namespace that is what catches escapees from the process group). Everything
// between fork and exec is async-signal-safe: the paths, argv and environment are built before
// forking (this process has threads).
//
// What the harness reads back comes only through pipes it created: C's stdout and stderr.
// Nothing is reopened by path in the scratch directory, which the program can write (it may
// put a symlink to /proc/self/environ or a FIFO there). The pipes are read while the program
// runs, up to max_file_bytes each; more than that kills it. They are never read to end of
// file: forks of other concurrent runs (A and B never exec) and processes that escaped the
// process group may hold their write ends, so once A is reaped we take what is buffered.
//
// A pass needs a proof that the program ran to its last line (for HumanEval: that check()
// returned), not only exit status 0: see kRunToTheEnd.
#include "eval/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "eval/run_cgroup.h"
#include "eval/syscall_filter.h"

namespace junction::eval {
namespace {

using Clock = std::chrono::steady_clock;

// Each concurrent sandbox run as root gets its own uid, so RLIMIT_NPROC (counted per uid)
// stops one fork bomb without starving the runs beside it.
constexpr uid_t kSandboxUidBase = 2'000'000'000;
std::atomic<uint32_t> g_next_uid_slot{0};  // process-wide counter, not state anyone reads back

std::string find_python(const std::string& configured) {
  if (!configured.empty()) return configured;
  for (const char* system_python : {"/usr/bin/python3", "/usr/local/bin/python3"})
    if (access(system_python, X_OK) == 0) return system_python;
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/python3";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw Error("python3 not found on PATH: HumanEval needs it to run completions");
}

// Processes owned by `uid` now (RLIMIT_NPROC counts them all when we cannot change uid).
int64_t count_processes(uid_t uid) {
  int64_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    struct stat st {};
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] < '0' || name[0] > '9') continue;
    if (stat(e.path().c_str(), &st) == 0 && st.st_uid == uid) ++n;
  }
  return n;
}

// One pipe the program writes and the harness reads, non-blocking, keeping the first `cap`
// bytes.
struct Capture {
  Capture(int fd, size_t cap) : fd(fd), cap(cap) {}
  int fd;
  size_t cap;  // bytes
  std::string text;
  bool overflowed = false;  // more than `cap` bytes came
  bool at_eof = false;

  // Reads what is in the pipe now.
  void drain() {
    char buf[1 << 16];
    while (!at_eof) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;  // EAGAIN: nothing more for now
      if (n == 0) at_eof = true;
      const size_t room = cap - text.size();
      if (static_cast<size_t>(n) > room) overflowed = true;
      text.append(buf, std::min(static_cast<size_t>(n), room));
    }
  }
};

// python3 -c runs this; it runs program.py. The harness writes a random nonce into descriptor
// 3 (a pipe; not argv, the environment or a file, which the program could read) and accepts a
// pass only if the same nonce comes back on descriptor 4, which happens only when program.py
// returned normally: os._exit(0), sys.exit(0), SystemExit, an exec or a kill before its end
// leave no nonce. Residual risk: the program runs in this same interpreter, so code written
// to do it could still find the nonce (frame introspection, gc, /proc/self/mem) and write it
// early. This defends against accidental and naive exits, as human-eval's own harness does
// with its result list; it is not a boundary against a program aimed at this harness.
constexpr const char* kRunToTheEnd = R"(import os, sys, types
def run():
    nonce = os.read(3, 64)
    os.close(3)
    with open('program.py', 'rb') as f:
        code = compile(f.read(), 'program.py', 'exec')
    main = types.ModuleType('__main__')
    main.__file__ = 'program.py'
    sys.modules['__main__'] = main
    sys.argv = ['program.py']
    exec(code, main.__dict__)
    os.write(4, nonce)
run()
)";

// 32 hex digits from the system's random source.
std::string random_nonce() {
  std::random_device random;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char word[9];
    std::snprintf(word, sizeof word, "%08x", random());
    out += word;
  }
  return out;
}

void set_limit(int resource, rlim_t soft, rlim_t hard) {
  const rlimit r{soft, hard};
  setrlimit(resource, &r);
}

[[noreturn]] void exit_with_status(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
  _exit(125);
}

// Waits for `child`, reaping any other process that ends meanwhile (B as PID 1 inherits every
// orphan); returns child's wait status.
int wait_for(pid_t child) {
  for (;;) {
    int status = 0;
    const pid_t p = waitpid(-1, &status, 0);
    if (p == child) return status;
    if (p < 0 && errno != EINTR) return 0;
  }
}

struct ChildPlan {
  const char* python;
  char* const* argv;
  char* const* envp;
  const char* dir;
  // The program's 0..4: /dev/null, the write ends of the stdout and stderr pipes, the read end
  // of the nonce pipe, the write end of the proof pipe.
  int null_fd, out_fd, err_fd, nonce_fd, proof_fd;
  int report_fd;
  pid_t harness_pid;
  bool as_root;
  bool require_isolation;  // not isolated: exit before the program runs
  uid_t uid;
  SandboxLimits limits;
  rlim_t nproc;
  const SyscallFilter* filter;
  const RunCgroup* cgroup;
};

// Makes `from[i]` the program's descriptor i, closing every other.
void install_fds(const int* from, int n) {
  int high[8];
  for (int i = 0; i < n; ++i) high[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 16);  // clear of 0..n-1
  for (int i = 0; i < n; ++i)
    if (high[i] < 0 || dup2(high[i], i) != i) _exit(126);
  syscall(SYS_close_range, static_cast<unsigned>(n), ~0U, 0);  // descriptors the parent leaked
}

[[noreturn]] void run_program(const ChildPlan& p, bool in_user_namespace) {
  const int fds[] = {p.null_fd, p.out_fd, p.err_fd, p.nonce_fd, p.proof_fd};
  install_fds(fds, 5);
  if (chdir(p.dir) != 0) _exit(126);
  const auto cpu = static_cast<rlim_t>(p.limits.cpu_seconds + 0.999);
  set_limit(RLIMIT_CPU, cpu, cpu + 1);
  set_limit(RLIMIT_AS, static_cast<rlim_t>(p.limits.address_space),
            static_cast<rlim_t>(p.limits.address_space));
  set_limit(RLIMIT_CORE, 0, 0);
  set_limit(RLIMIT_FSIZE, static_cast<rlim_t>(p.limits.max_file_bytes),
            static_cast<rlim_t>(p.limits.max_file_bytes));
  set_limit(RLIMIT_NPROC, p.nproc, p.nproc);
  if (p.as_root && !in_user_namespace) {
    setgroups(0, nullptr);
    if (setgid(p.uid) != 0 || setuid(p.uid) != 0) _exit(126);
  }
  // After setuid, which clears the parent-death signal.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(126);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Last: the filter also binds the execve below and python3 after it. A kernel without
  // seccomp fails the run unless isolation is waived.
  if (!p.filter->install() && p.require_isolation) _exit(126);
  execve(p.python, p.argv, p.envp);
  _exit(127);
}

// A network namespace, and a uid of its own: root outside any user namespace (run_program).
bool isolated(char isolation, bool as_root) {
  return (isolation & 2) != 0 && as_root && (isolation & 4) == 0;
}

// In a mount namespace of A's own (root only): every mount read-only, a private tmpfs on /tmp
// and /dev/shm (the program can neither plant files for later runs nor fill the machine's),
// and the scratch directory bound back, writable, at its own path. True when all of it held.
// Async-signal-safe (after fork): system calls on stack buffers only.
bool isolate_filesystem(const char* dir) {
  if (unshare(CLONE_NEWNS) != 0) return false;
  const int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return false;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  mount_attr read_only{};
  read_only.attr_set = MOUNT_ATTR_RDONLY;
  if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &read_only, sizeof read_only) != 0)
    return false;
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777") != 0)
    return false;
  mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=1777");
  // The scratch directory's path again (it may lie under the new /tmp), then the directory.
  char path[4096];
  size_t n = 0;
  while (dir[n] && n + 1 < sizeof path) path[n] = dir[n], ++n;
  path[n] = 0;
  for (size_t i = 1; i <= n; ++i)
    if (path[i] == '/' || path[i] == 0) {
      const char c = path[i];
      path[i] = 0;
      mkdir(path, 0755);  // EEXIST, or EROFS outside /tmp where it exists already
      path[i] = c;
    }
  char from[64] = "/proc/self/fd/";
  size_t at = 14;
  char digits[16];
  int d = 0;
  for (int v = dir_fd; v > 0 || d == 0; v /= 10) digits[d++] = static_cast<char>('0' + v % 10);
  while (d > 0) from[at++] = digits[--d];
  from[at] = 0;
  if (mount(from, dir, nullptr, MS_BIND, nullptr) != 0) return false;
  close(dir_fd);
  // A bind mount keeps its source's read-only flag: cleared on this one mount.
  mount_attr writable{};
  writable.attr_clr = MOUNT_ATTR_RDONLY;
  return syscall(SYS_mount_setattr, AT_FDCWD, dir, 0, &writable, sizeof writable) == 0;
}

[[noreturn]] void run_a(const ChildPlan& p) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);            // fires when the harness thread that forked A ends
  if (getppid() != p.harness_pid) _exit(125);  // it ended before the line above
  // Before any fork: every process of the run is born in the cgroup.
  const bool in_cgroup = p.cgroup->active() && p.cgroup->join_self();
  // A session of its own: a process group the harness can kill, and no controlling terminal,
  // so the program cannot type into the user's shell (TIOCSTI) or be stopped by it.
  setsid();
  // 1: pid namespace, 2: network namespace, 4: inside a user namespace, 16: in the cgroup.
  char isolation = in_cgroup ? 16 : 0;
  if (unshare(CLONE_NEWPID | CLONE_NEWNET) == 0) {
    isolation |= 3;
  } else if (unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET) == 0) {
    isolation |= 7;
  } else if (unshare(CLONE_NEWNET) == 0) {
    isolation |= 2;
  }
  // 8: a read-only file system with private /tmp and /dev/shm (root outside a user namespace).
  if (p.as_root && !(isolation & 4) && isolate_filesystem(p.dir)) isolation |= 8;
  (void)!write(p.report_fd, &isolation, 1);
  close(p.report_fd);
  const bool userns = (isolation & 4) != 0;
  if (p.require_isolation && !isolated(isolation, p.as_root)) _exit(125);  // fail closed
  const pid_t b = fork();
  if (b < 0) _exit(125);
  if (b == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // A, if killed, takes B (and B's namespace) along
    if (!(isolation & 1)) run_program(p, userns);
    // PID 1 of the new namespace: a /proc of its own shows only the program's processes.
    if (isolation & 8) mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    const pid_t c = fork();  // B is PID 1 here: C is the program, B reaps
    if (c < 0) _exit(125);
    if (c == 0) run_program(p, userns);
    exit_with_status(wait_for(c));
  }
  exit_with_status(wait_for(b));
}

std::string describe_signal(int sig) {
  switch (sig) {
    case SIGXCPU:
      return "killed: CPU time limit";
    case SIGXFSZ:
      return "killed: output size limit";
    case SIGKILL:
      return "killed (SIGKILL: CPU hard limit or memory)";
    case SIGSEGV:
      return "crashed (SIGSEGV)";
    default:
      return "killed by signal " + std::to_string(sig);
  }
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

SandboxResult run_python_sandboxed(const std::string& program, const SandboxLimits& limits,
                                   const std::filesystem::path& scratch_root) {
  const std::string python = find_python(limits.python);
  const std::filesystem::path root =
      scratch_root.empty() ? std::filesystem::temp_directory_path() : scratch_root;
  std::string dir_template = (root / "junction-sandbox-XXXXXX").string();
  if (!mkdtemp(dir_template.data()))
    throw Error("cannot create a scratch directory in " + root.string());
  const std::filesystem::path dir = dir_template;
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  {
    std::ofstream out(dir / "program.py", std::ios::binary);
    out << program;
    if (!out) throw Error("cannot write " + (dir / "program.py").string());
  }
  const bool as_root = geteuid() == 0;
  const uid_t uid = kSandboxUidBase + (g_next_uid_slot.fetch_add(1) % 100000);
  // The directory is the program's alone (its cwd, HOME and TMPDIR), not every user's.
  chmod((dir / "program.py").c_str(), 0644);
  if (as_root && chown(dir.c_str(), uid, uid) != 0)
    throw Error("cannot hand " + dir.string() + " to the sandbox uid");
  const rlim_t nproc = static_cast<rlim_t>(
      as_root ? limits.max_processes : count_processes(getuid()) + limits.max_processes);

  // -I: no user site-packages, no PYTHON* variables, no cwd on sys.path; -B: no .pyc files.
  // The environment is these four and nothing of ours (API keys live there).
  std::vector<std::string> args = {python, "-I", "-B", "-c", kRunToTheEnd};
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir.string(),
                                  "TMPDIR=" + dir.string(), "LANG=C.UTF-8"};
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int null_fd = -1, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
  int nonce[2] = {-1, -1}, proof[2] = {-1, -1};
  struct Fds {
    std::vector<int*> all;
    ~Fds() {
      for (int* fd : all)
        if (*fd >= 0) close(*fd);
    }
    void close_one(int& fd) {
      if (fd >= 0) close(fd);
      fd = -1;
    }
  } fds{{&null_fd, &out[0], &out[1], &err[0], &err[1], &report[0], &report[1], &nonce[0], &nonce[1],
         &proof[0], &proof[1]}};
  null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
      pipe2(report, O_CLOEXEC) != 0 || pipe2(nonce, O_CLOEXEC) != 0 || pipe2(proof, O_CLOEXEC) != 0)
    throw Error(std::string("cannot set up the sandbox's pipes: ") + std::strerror(errno));
  for (int fd : {out[0], err[0], proof[0]}) fcntl(fd, F_SETFL, O_NONBLOCK);
  const std::string expected_proof = random_nonce();
  if (write(nonce[1], expected_proof.data(), expected_proof.size()) !=
      static_cast<ssize_t>(expected_proof.size()))
    throw Error(std::string("cannot write the sandbox's nonce: ") + std::strerror(errno));
  fds.close_one(nonce[1]);
  const std::string dir_text = dir.string();
  const SyscallFilter filter = SyscallFilter::for_python_programs();
  // The sandbox's A and B count as tasks too.
  RunCgroup cgroup(limits.memory_bytes, limits.max_processes + 2);
  const ChildPlan plan{.python = python.c_str(),
                       .argv = argv.data(),
                       .envp = envp.data(),
                       .dir = dir_text.c_str(),
                       .null_fd = null_fd,
                       .out_fd = out[1],
                       .err_fd = err[1],
                       .nonce_fd = nonce[0],
                       .proof_fd = proof[1],
                       .report_fd = report[1],
                       .harness_pid = getpid(),
                       .as_root = as_root,
                       .require_isolation = !limits.allow_unisolated,
                       .uid = uid,
                       .limits = limits,
                       .nproc = nproc,
                       .filter = &filter,
                       .cgroup = &cgroup};

  const auto t0 = Clock::now();
  const pid_t a = fork();
  if (a < 0) throw Error(std::string("fork failed: ") + std::strerror(errno));
  if (a == 0) run_a(plan);
  // A's process group exists from here on: A reports only after its setsid().
  for (int* fd : {&null_fd, &out[1], &err[1], &report[1], &nonce[0], &proof[1]}) fds.close_one(*fd);
  char isolation = 0;
  if (read(report[0], &isolation, 1) != 1) isolation = 0;
  fds.close_one(report[0]);

  if (!limits.allow_unisolated && !isolated(isolation, as_root)) {
    kill(-a, SIGKILL);
    while (waitpid(a, nullptr, 0) < 0 && errno == EINTR) {
    }
    throw SandboxUnavailable(
        std::string("refusing to run model-written code without isolation: ") +
        (as_root ? "the kernel refused a network namespace (unshare(CLONE_NEWNET))"
                 : "the harness is not root, so the program cannot get a uid of its own (it "
                   "could read your files" +
                       std::string((isolation & 2) ? ")" : " and reach the network)")) +
        ". Run junction eval as root (e.g. in a container), or pass --unsafe-sandbox to run it "
        "as your user anyway");
  }
  SandboxResult r;
  r.network_isolated = (isolation & 2) != 0;
  r.filesystem_isolated = (isolation & 8) != 0;
  r.user_isolated = as_root && !(isolation & 4);  // see run_program
  r.tree_limited = (isolation & 16) != 0;
  if (!cgroup.active()) {
    r.tree_limits_note = "no cgroup for the run (" + cgroup.why_unavailable() +
                         "): memory and process limits held per process only";
  } else if (!r.tree_limited) {
    r.tree_limits_note = "the run could not join its cgroup: limits held per process only";
  }
  const auto cap = static_cast<size_t>(limits.max_file_bytes);
  Capture stdout_capture{out[0], cap}, stderr_capture{err[0], cap};
  Capture proof_capture{proof[0], 2 * expected_proof.size()};
  const auto drain_all = [&] {
    stdout_capture.drain();
    stderr_capture.drain();
    return stdout_capture.overflowed || stderr_capture.overflowed;
  };
  bool output_exceeded = false;
  const auto deadline = t0 + std::chrono::duration<double>(limits.wall_seconds);
  for (;;) {
    pollfd watch[] = {{stdout_capture.at_eof ? -1 : out[0], POLLIN, 0},
                      {stderr_capture.at_eof ? -1 : err[0], POLLIN, 0}};
    poll(watch, 2, 5);  // ms; also the period at which A's exit is checked
    if (drain_all()) {
      output_exceeded = true;
      break;
    }
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(a), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == a)
      break;
    if (Clock::now() >= deadline) {
      r.timed_out = true;
      break;
    }
  }
  // A is not reaped yet, so its process group id cannot have been reused.
  kill(-a, SIGKILL);
  int status = 0;
  while (waitpid(a, &status, 0) < 0 && errno == EINTR) {
  }
  // Nothing of the run may outlive it; with a PID namespace this finds nothing.
  cgroup.kill_all();
  r.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  output_exceeded = drain_all() || output_exceeded;  // what C wrote before it ended
  proof_capture.drain();
  const bool ran_to_the_end = proof_capture.text == expected_proof;
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    if (code > 128 && code < 128 + 65) {
      r.signal = code - 128;
    } else {
      r.exit_code = code;
    }
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  r.stdout_head = stdout_capture.text.substr(0, limits.output_keep);
  const std::string& err_all = stderr_capture.text;
  r.stderr_head = err_all.substr(0, limits.output_keep);
  if (r.timed_out) {
    r.verdict = "timed out after " + std::to_string(static_cast<int>(limits.wall_seconds)) + " s";
  } else if (output_exceeded) {
    r.verdict = describe_signal(SIGXFSZ);
  } else if (r.signal == SIGKILL && cgroup.memory_exhausted()) {
    r.verdict = "killed: memory limit of the run (" + std::to_string(limits.memory_bytes >> 20) +
                " MiB for all its processes)";
  } else if (r.signal != 0) {
    r.verdict = describe_signal(r.signal);
  } else if (r.exit_code == 0 && ran_to_the_end) {
    r.passed = true;
    r.verdict = "passed";
  } else if (r.exit_code == 0) {
    r.verdict =
        "failed: exited with status 0 before the end of the program (the tests did not run)";
  } else if (r.exit_code == 126 || r.exit_code == 127) {
    r.verdict = "sandbox could not start python3 (exit " + std::to_string(r.exit_code) + ")";
  } else {
    const std::string err = last_line(err_all).substr(0, 300);
    r.verdict =
        "failed" + (err.empty() ? " (exit " + std::to_string(r.exit_code) + ")" : ": " + err);
  }
  return r;
}

}  // namespace junction::eval
