// The HumanEval sandbox survives hostile programs: each is stopped by the limit meant for it
// and the test process (and machine) carries on. Skips where python3 is missing.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "eval/sandbox.h"

namespace junction::eval {
namespace {

bool have_python() {
  return system("python3 -c pass >/dev/null 2>&1") == 0;
}

SandboxLimits quick() {
  SandboxLimits l;
  l.cpu_seconds = 2;
  l.wall_seconds = 5;
  // These tests are about limits; run as a user, they accept what isolation there is (the
  // refusal itself is tested below).
  l.allow_unisolated = geteuid() != 0;
  return l;
}

#define REQUIRE_PYTHON() \
  if (!have_python()) GTEST_FAIL() << "python3 is missing (scripts/install_deps.sh installs it)"

// A scratch root of the test's own, so a test can look into the sandbox's directory.
struct ScratchRoot {
  std::filesystem::path path;
  ScratchRoot() {
    std::string t = (std::filesystem::temp_directory_path() / "junction-sandbox-test-XXXXXX");
    path = mkdtemp(t.data());
    std::filesystem::permissions(path, std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);  // the sandbox uid's way in
  }
  ~ScratchRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Pids of the processes whose cwd is under `root`.
std::vector<pid_t> processes_under(const std::filesystem::path& root) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] < '1' || name[0] > '9') continue;
    const auto cwd = std::filesystem::read_symlink(e.path() / "cwd", ec);
    if (!ec && cwd.string().rfind(root.string(), 0) == 0) out.push_back(std::stoi(name));
  }
  return out;
}

// Without a uid of its own (the harness is not root) the program is not run at all unless
// allow_unisolated says so: it could read the harness user's files. As root, the check runs in
// a child that dropped to `nobody`.
TEST(Sandbox, FailsClosedWithoutIsolation) {
  REQUIRE_PYTHON();
  const auto check = [] {
    SandboxLimits l = quick();
    l.allow_unisolated = false;
    try {
      run_python_sandboxed("open('ran', 'w').write('x')\n", l);
      return 1;  // it ran
    } catch (const SandboxUnavailable& e) {
      if (std::string(e.what()).find("--unsafe-sandbox") == std::string::npos) return 2;
    }
    l.allow_unisolated = true;
    const SandboxResult r = run_python_sandboxed("assert 1 + 1 == 2\n", l);
    if (!r.passed) return 3;
    // Without a cgroup (nobody cannot make one) the result says the limits held per process
    // only, and why.
    if (!r.tree_limited && r.tree_limits_note.find("no cgroup") == std::string::npos) return 5;
    return 0;
  };
  if (geteuid() != 0) {
    EXPECT_EQ(check(), 0);
    return;
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(4);
    _exit(check());
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: ran without isolation, 2: refused without saying what to do, 3: did not run when "
         "allowed, 4: could not become nobody, 5: no cgroup and the result did not say so";
}

TEST(Sandbox, CorrectAndIncorrectSolutions) {
  REQUIRE_PYTHON();
  const auto ok = run_python_sandboxed("def f(x):\n    return x + 1\nassert f(1) == 2\n", quick());
  EXPECT_TRUE(ok.passed) << ok.verdict << ok.stderr_head;
  const auto bad =
      run_python_sandboxed("def f(x):\n    return x\nassert f(1) == 2, 'wrong'\n", quick());
  EXPECT_FALSE(bad.passed);
  EXPECT_NE(bad.verdict.find("AssertionError"), std::string::npos) << bad.verdict;
}

TEST(Sandbox, InfiniteLoopHitsTheCpuLimit) {
  REQUIRE_PYTHON();
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_python_sandboxed("while True:\n    pass\n", quick());
  EXPECT_FALSE(r.passed);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 6.0);
}

TEST(Sandbox, SleepingForeverHitsTheWallClock) {
  REQUIRE_PYTHON();
  SandboxLimits l = quick();
  l.wall_seconds = 1.5;
  const auto r = run_python_sandboxed("import time\ntime.sleep(60)\n", l);
  EXPECT_FALSE(r.passed);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.wall_seconds, 3.0);
}

TEST(Sandbox, InfiniteOutputIsCapped) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed("while True:\n    print('x' * 1000)\n", quick());
  EXPECT_FALSE(r.passed);
  EXPECT_LE(r.stdout_head.size(), quick().output_keep);
}

TEST(Sandbox, ForkBombIsContainedAndCleanedUp) {
  REQUIRE_PYTHON();
  ScratchRoot root;
  const auto r = run_python_sandboxed(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
      quick(), root.path);
  EXPECT_FALSE(r.passed);
  const std::vector<pid_t> left = processes_under(root.path);
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) of the fork bomb outlived the run";
  for (const pid_t p : left) kill(p, SIGKILL);
  // Nothing of it is left: the next program runs normally and promptly.
  const auto after = run_python_sandboxed("print('alive')\n", quick());
  EXPECT_TRUE(after.passed) << after.verdict;
  EXPECT_EQ(after.stdout_head, "alive\n");
}

// A daemon that double-forks and calls setsid() leaves the process group the harness kills; the
// program then exits with status 0 before its end. The daemon dies with the run (the PID
// namespace's init exits, and the run's cgroup is emptied), and the run does not pass.
TEST(Sandbox, ADoubleForkedDaemonDiesWithTheRunAndDoesNotPass) {
  REQUIRE_PYTHON();
  ScratchRoot root;
  SandboxLimits l = quick();
  l.wall_seconds = 20;
  const auto r = run_python_sandboxed(
      "import os, time\n"
      "if os.fork() == 0:\n"
      "    os.setsid()\n"
      "    if os.fork() == 0:\n"
      "        time.sleep(60)\n"
      "        os._exit(0)\n"
      "    os._exit(0)\n"
      "os.wait()\n"
      "time.sleep(0.2)\n"
      "os._exit(0)\n",
      l, root.path);
  EXPECT_FALSE(r.passed) << r.verdict;
  EXPECT_FALSE(r.timed_out) << "the harness waited for the daemon";
  const std::vector<pid_t> left = processes_under(root.path);
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) outlived the run";
  for (const pid_t p : left) kill(p, SIGKILL);  // ours: they run in the test's scratch root
}

// Each process gets its own address-space limit (512 MiB by default), so four processes of
// 120 MiB each are within them; the run's cgroup holds all of them to one bound of 256 MiB.
// Where there is no cgroup the result must say so (and the test says why it skipped).
TEST(Sandbox, TheRunsProcessesShareOneMemoryBound) {
  REQUIRE_PYTHON();
  SandboxLimits l = quick();
  l.wall_seconds = 30;
  l.cpu_seconds = 10;
  l.memory_bytes = int64_t{256} << 20;
  const auto r = run_python_sandboxed(
      "import os, time\n"
      "r, w = os.pipe()\n"
      "for i in range(4):\n"
      "    if os.fork() == 0:\n"
      "        os.close(r)\n"
      "        block = b'\\x01' * (120 << 20)\n"  // written, so resident
      "        os.write(w, b'k')\n"
      "        time.sleep(3)\n"
      "        os._exit(0)\n"
      "os.close(w)\n"
      "held = b''\n"
      "while True:\n"
      "    got = os.read(r, 16)\n"
      "    if not got:\n"
      "        break\n"
      "    held += got\n"
      "print('held', len(held))\n"
      "assert len(held) == 4\n",
      l);
  if (!r.tree_limited) {
    EXPECT_FALSE(r.tree_limits_note.empty()) << "no cgroup, and the result does not say so";
    GTEST_SKIP() << r.tree_limits_note;
  }
  EXPECT_FALSE(r.passed) << "480 MiB held under a 256 MiB bound: " << r.stdout_head;
  EXPECT_EQ(r.stdout_head.find("held 4"), std::string::npos) << r.stdout_head;
}

// Cgroup directories whose names begin with `prefix`, anywhere under /sys/fs/cgroup.
int cgroups_named(const std::string& prefix) {
  std::error_code ec;
  int found = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(
           "/sys/fs/cgroup", std::filesystem::directory_options::skip_permission_denied, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename().string().rfind(prefix, 0) == 0) ++found;
    if (it.depth() > 6) it.disable_recursion_pending();
  }
  return found;
}

// The run's cgroup is its own (a fresh name under the harness's cgroup, with the configured
// bounds), and it is gone after the run.
TEST(Sandbox, TheRunsCgroupIsItsOwnAndIsRemovedAfterward) {
  REQUIRE_PYTHON();
  SandboxLimits l = quick();
  l.memory_bytes = int64_t{300} << 20;
  l.max_processes = 9;
  // Prints its cgroups and the bounds it finds in them (where the cgroup file systems are
  // mounted varies: v2 alone or beside v1).
  const auto r = run_python_sandboxed(
      "for line in open('/proc/self/cgroup'):\n"
      "    path = line.strip().split(':', 2)[2]\n"
      "    print(line.strip())\n"
      "    if 'junction-sandbox-' not in path:\n"
      "        continue\n"
      "    for base in ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/memory',\n"
      "                 '/sys/fs/cgroup/pids']:\n"
      "        for f in ['memory.max', 'memory.limit_in_bytes', 'pids.max']:\n"
      "            try:\n"
      "                print('bound', f, open(base + path + '/' + f).read().strip())\n"
      "            except OSError:\n"
      "                pass\n",
      l);
  if (!r.tree_limited) {
    EXPECT_FALSE(r.tree_limits_note.empty());
    GTEST_SKIP() << r.tree_limits_note;
  }
  ASSERT_TRUE(r.passed) << r.verdict << r.stderr_head;
  const size_t at = r.stdout_head.find("junction-sandbox-");
  ASSERT_NE(at, std::string::npos) << r.stdout_head;
  const std::string name = r.stdout_head.substr(at, r.stdout_head.find('\n', at) - at);
  const std::string memory = std::to_string(int64_t{300} << 20);
  EXPECT_TRUE(r.stdout_head.find("bound memory.max " + memory) != std::string::npos ||
              r.stdout_head.find("bound memory.limit_in_bytes " + memory) != std::string::npos)
      << r.stdout_head;
  EXPECT_NE(r.stdout_head.find("bound pids.max 11\n"), std::string::npos)
      << "9 for the program and 2 for the sandbox's own processes: " << r.stdout_head;
  EXPECT_EQ(cgroups_named(name), 0) << name << " is still there after the run";
}

TEST(Sandbox, MemoryHogFails) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed("x = bytearray(2 * 1024 * 1024 * 1024)\n", quick());
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.verdict.find("MemoryError"), std::string::npos) << r.verdict;
}

TEST(Sandbox, NoNetworkWhenIsolated) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed(
      "import socket\ns = socket.socket()\ns.settimeout(1)\ns.connect(('1.1.1.1', 80))\n", quick());
  // As root the sandbox refuses to run without a network namespace, so one was there; as a
  // user (allow_unisolated, see quick()) the connection may succeed, and only that is allowed.
  if (geteuid() == 0) {
    EXPECT_TRUE(r.network_isolated) << r.verdict;
  }
  if (r.network_isolated) {
    EXPECT_FALSE(r.passed) << r.verdict;
  }
}

// The harness's own environment as the kernel shows it (/proc/self/environ holds the initial
// block, so setenv() here would not put a marker there): every entry the sandboxed program's
// own clean environment does not also have.
std::vector<std::string> harness_only_environment() {
  std::ifstream in("/proc/self/environ", std::ios::binary);
  std::vector<std::string> out;
  for (std::string e; std::getline(in, e, '\0');)
    if (e.size() > 8 && e.rfind("PATH=", 0) != 0 && e.rfind("LANG=", 0) != 0) out.push_back(e);
  return out;
}

// The program owns its directory; what it does there must not change what the harness reads.
// Before: the harness reopened `stderr` by path and read its own /proc/self/environ (an API key
// in the environment of `junction eval` showed up in samples.jsonl).
TEST(Sandbox, ReplacingTheOutputFilesWithSymlinksLeaksNothingOfTheHarness) {
  REQUIRE_PYTHON();
  const std::vector<std::string> secrets = harness_only_environment();
  // ctest and make always hand the test an environment (PWD, HOME, ...).
  ASSERT_FALSE(secrets.empty()) << "the test process has no environment to leak";
  const auto r = run_python_sandboxed(
      "import os\n"
      "for name in ('stdout', 'stderr'):\n"
      "    try:\n        os.remove(name)\n    except OSError:\n        pass\n"
      "    os.symlink('/proc/self/environ', name)\n"
      "raise SystemExit(1)\n",
      quick());
  EXPECT_FALSE(r.passed);
  for (const std::string* text : {&r.stdout_head, &r.stderr_head, &r.verdict})
    for (const std::string& secret : secrets)
      if (text->find(secret) != std::string::npos) {
        ADD_FAILURE() << "the harness's environment leaked into the result: " << secret;
        break;
      }
}

// Before: a FIFO in place of `stdout` blocked the harness in open() forever. After 15 s the
// test opens the FIFO for writing itself, which lets a hung harness go on, and fails.
TEST(Sandbox, AFifoInPlaceOfStdoutDoesNotHang) {
  REQUIRE_PYTHON();
  ScratchRoot root;
  auto run = std::async(std::launch::async, [&] {
    return run_python_sandboxed(
        "import os\n"
        "try:\n    os.remove('stdout')\nexcept OSError:\n    pass\n"
        "os.mkfifo('stdout')\n"
        "print('done')\n",
        quick(), root.path);
  });
  if (run.wait_for(std::chrono::seconds(15)) != std::future_status::ready) {
    ADD_FAILURE() << "the harness hangs on a FIFO the program left in its directory";
    for (const auto& d : std::filesystem::directory_iterator(root.path)) {
      const int fd = open((d.path() / "stdout").c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) close(fd);
    }
  }
  const auto r = run.get();
  EXPECT_TRUE(r.passed) << r.verdict;
  EXPECT_EQ(r.stdout_head, "done\n");
}

// A pass means the program ran to its last line, not that the process exited with status 0.
TEST(Sandbox, ExitingWithStatusZeroBeforeTheEndIsAFailure) {
  REQUIRE_PYTHON();
  for (const char* exit : {"import os\nos._exit(0)\n", "import sys\nsys.exit(0)\n",
                           "raise SystemExit\n", "import os\nos.close(1)\nos._exit(0)\n"}) {
    const auto r =
        run_python_sandboxed(std::string(exit) + "assert False, 'the test ran'\n", quick());
    EXPECT_FALSE(r.passed) << exit;
    EXPECT_NE(r.verdict.find("before"), std::string::npos) << exit << ": " << r.verdict;
  }
  const auto ok = run_python_sandboxed("import sys\nprint('done')\nsys.stdout.flush()\n", quick());
  EXPECT_TRUE(ok.passed) << ok.verdict;
}

// PATH, HOME (the scratch directory), TMPDIR and LANG; none of the harness's variables.
TEST(Sandbox, TheProgramGetsAMinimalEnvironment) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed(
      "import os\nprint(' '.join(sorted(os.environ)))\nassert os.environ['HOME'] == os.getcwd()\n",
      quick());
  EXPECT_TRUE(r.passed) << r.verdict;
  EXPECT_EQ(r.stdout_head, "HOME LANG PATH TMPDIR\n");
}

// no_new_privs (a setuid binary cannot raise the program's privileges) and a parent-death
// signal; the program runs as a uid of its own only when the harness is root.
TEST(Sandbox, TheProgramCannotGainPrivilegesAndSaysWhoItRunsAs) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed(
      "import ctypes\n"
      "status = open('/proc/self/status').read()\n"
      "print([l for l in status.splitlines() if l.startswith('NoNewPrivs')][0].split()[1])\n"
      "sig = ctypes.c_int(0)\n"
      "ctypes.CDLL(None).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG\n"
      "print(sig.value)\n",
      quick());
  EXPECT_TRUE(r.passed) << r.verdict;
  EXPECT_EQ(r.stdout_head, "1\n9\n");
  EXPECT_EQ(r.user_isolated, geteuid() == 0);
}

// The kernel interfaces a program under test has no use for are refused (the seccomp
// allow-list), each with EPERM: creating a user namespace (unprivileged, it succeeds without
// the filter, and with it a root of its own for the next kernel bug), ptrace, keyrings, BPF,
// perf events, userfaultfd, io_uring and a network socket. Each line prints the errno.
TEST(Sandbox, KernelInterfacesOutsideTheAllowListAreRefused) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed(
      "import ctypes, os, platform\n"
      "libc = ctypes.CDLL(None, use_errno=True)\n"
      "x86 = platform.machine() == 'x86_64'\n"
      "calls = {\n"
      "  'unshare_user': (272 if x86 else 97, 0x10000000),\n"
      "  'ptrace_traceme': (101 if x86 else 117, 0, 0, 0, 0),\n"
      "  'keyctl': (250 if x86 else 219, 0, -3, 0),\n"
      "  'bpf': (321 if x86 else 280, 0, 0, 0),\n"
      "  'perf_event_open': (298 if x86 else 241, 0, 0, -1, -1, 0),\n"
      "  'userfaultfd': (323 if x86 else 282, 0),\n"
      "  'io_uring_setup': (425, 1, 0),\n"
      "  'socket_inet': (41 if x86 else 198, 2, 1, 0),\n"
      "}\n"
      "for name, (nr, *args) in calls.items():\n"
      "    rc = libc.syscall(nr, *[ctypes.c_long(a) for a in args])\n"
      "    print(name, rc, os.strerror(ctypes.get_errno()) if rc < 0 else 'ALLOWED')\n",
      quick());
  EXPECT_TRUE(r.passed) << r.verdict << r.stderr_head;
  for (const char* name : {"unshare_user", "ptrace_traceme", "keyctl", "bpf", "perf_event_open",
                           "userfaultfd", "io_uring_setup", "socket_inet"})
    EXPECT_NE(r.stdout_head.find(std::string(name) + " -1 Operation not permitted"),
              std::string::npos)
        << name << " was not refused with EPERM:\n"
        << r.stdout_head;
}

// What ordinary programs do still works under the allow-list: threads, a subprocess, hashing,
// decimals, the clock, writing and listing its own directory.
TEST(Sandbox, OrdinaryProgramsRunUnderTheAllowList) {
  REQUIRE_PYTHON();
  const auto r = run_python_sandboxed(
      "import threading, subprocess, hashlib, decimal, datetime, os, random, json, time\n"
      "out = []\n"
      "t = threading.Thread(target=lambda: out.append(hashlib.sha256(b'x').hexdigest()[:8]))\n"
      "t.start(); t.join()\n"
      "open('f.txt', 'w').write('x')\n"
      "print(out[0], decimal.Decimal('1.1') + 1, 'f.txt' in os.listdir('.'),\n"
      "      datetime.datetime.now().year > 2000, time.monotonic() > 0,\n"
      "      subprocess.run(['/bin/echo', 'hi'], capture_output=True, text=True).stdout.strip())\n",
      quick());
  EXPECT_TRUE(r.passed) << r.verdict << r.stderr_head;
  EXPECT_EQ(r.stdout_head, "2d711642 2.1 True True True hi\n");
}

// The machine's and the harness's secrets stay out of reach: /etc/shadow, the harness's
// environment through /proc (an API key set there), and a setuid binary (no_new_privs keeps
// the sandbox uid). Each attempt prints what it got; none may succeed.
TEST(Sandbox, TheMachinesAndTheHarnesssSecretsAreOutOfReach) {
  REQUIRE_PYTHON();
  if (geteuid() != 0) {  // as a user the program gets no uid of its own: it must not run at all
    SandboxLimits l = quick();
    l.allow_unisolated = false;
    EXPECT_THROW(run_python_sandboxed("print(open('/proc/1/environ').read())\n", l),
                 SandboxUnavailable);
    return;
  }
  ::setenv("JUNCTION_SANDBOX_TEST_SECRET", "sk-secret-4242", 1);
  const std::string harness = std::to_string(getpid());
  const auto r = run_python_sandboxed(
      "import os, subprocess\n"
      "def attempt(name, f):\n"
      "    try:\n"
      "        got = f()\n"
      "        print(name, 'READ', 'sk-secret-4242' in got if isinstance(got, str) else got)\n"
      "    except Exception as e:\n"
      "        print(name, 'denied', type(e).__name__)\n"
      "attempt('shadow', lambda: open('/etc/shadow').read())\n"
      "attempt('environ', lambda: open('/proc/" +
          harness +
          "/environ', errors='replace').read())\n"
          "attempt('su', lambda: subprocess.run(['su', '-c', 'id -u'], capture_output=True, "
          "text=True, timeout=3, stdin=subprocess.DEVNULL).stdout.strip() or 'nothing')\n",
      quick());
  ::unsetenv("JUNCTION_SANDBOX_TEST_SECRET");
  EXPECT_TRUE(r.passed) << r.verdict << r.stderr_head;
  EXPECT_NE(r.stdout_head.find("shadow denied"), std::string::npos) << r.stdout_head;
  EXPECT_NE(r.stdout_head.find("environ denied"), std::string::npos) << r.stdout_head;
  // su either cannot run or prints nothing as root; it never answers 0.
  EXPECT_EQ(r.stdout_head.find("su READ 0"), std::string::npos) << r.stdout_head;
  EXPECT_EQ(r.stdout_head.find("sk-secret-4242"), std::string::npos) << r.stdout_head;
}

// The file system is the program's to read, not to change: every mount read-only, /tmp and
// /dev/shm private (what it writes there is gone with it, never seen by the machine or a later
// run), /proc showing only its own processes, its scratch directory still writable.
TEST(Sandbox, TheFileSystemIsReadOnlyButForItsOwnDirectoryAndPrivateTmp) {
  REQUIRE_PYTHON();
  if (geteuid() != 0) {  // no mount namespace as a user: the program must not run at all
    SandboxLimits l = quick();
    l.allow_unisolated = false;
    EXPECT_THROW(run_python_sandboxed("open('/var/tmp/x', 'w')\n", l), SandboxUnavailable);
    return;
  }
  const std::string marker = "junction-escape-" + std::to_string(getpid());
  const auto r = run_python_sandboxed(
      "import os\n"
      "def attempt(name, f):\n"
      "    try:\n"
      "        f()\n"
      "        print(name, 'wrote')\n"
      "    except OSError as e:\n"
      "        print(name, 'denied', e.errno)\n"
      "attempt('usr', lambda: open('/usr/" +
          marker +
          "', 'w').write('x'))\n"
          "attempt('var', lambda: open('/var/tmp/" +
          marker +
          "', 'w').write('x'))\n"
          "attempt('tmp', lambda: open('/tmp/" +
          marker +
          "', 'w').write('x'))\n"
          "attempt('cwd', lambda: open('here', 'w').write('x'))\n"
          "print('pids', len([p for p in os.listdir('/proc') if p.isdigit()]))\n",
      quick());
  EXPECT_TRUE(r.passed) << r.verdict << r.stderr_head;
  EXPECT_TRUE(r.filesystem_isolated);
  EXPECT_NE(r.stdout_head.find("usr denied"), std::string::npos) << r.stdout_head;
  EXPECT_NE(r.stdout_head.find("var denied"), std::string::npos) << r.stdout_head;
  EXPECT_NE(r.stdout_head.find("tmp wrote"), std::string::npos) << r.stdout_head;
  EXPECT_NE(r.stdout_head.find("cwd wrote"), std::string::npos) << r.stdout_head;
  // B (the namespace's reaper) and the program; a python may start no helper processes.
  EXPECT_NE(r.stdout_head.find("pids 2"), std::string::npos) << r.stdout_head;
  EXPECT_FALSE(std::filesystem::exists("/tmp/" + marker)) << "the program's /tmp is the machine's";
  EXPECT_FALSE(std::filesystem::exists("/var/tmp/" + marker));
}

// A harness killed mid-run (SIGKILL: no destructors, no timeout) takes the program with it.
TEST(Sandbox, TheProgramDiesWithTheHarness) {
  REQUIRE_PYTHON();
  ScratchRoot root;
  SandboxLimits l = quick();
  l.wall_seconds = 60;
  const pid_t harness = fork();
  ASSERT_GE(harness, 0);
  if (harness == 0)
    _exit(run_python_sandboxed("import time\nwhile True:\n    time.sleep(0.05)\n", l, root.path)
              .passed);
  // Running: a python process has its cwd in the scratch directory.
  const auto t0 = std::chrono::steady_clock::now();
  while (processes_under(root.path).empty() &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10))
    usleep(20'000);
  EXPECT_FALSE(processes_under(root.path).empty()) << "the program never started";
  kill(harness, SIGKILL);
  waitpid(harness, nullptr, 0);
  const auto t1 = std::chrono::steady_clock::now();
  while (!processes_under(root.path).empty() &&
         std::chrono::steady_clock::now() - t1 < std::chrono::seconds(3))
    usleep(20'000);
  const std::vector<pid_t> left = processes_under(root.path);
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) outlived the harness";
  for (const pid_t p : left) kill(p, SIGKILL);  // ours: they run in the test's scratch root
  // The dead harness could not remove its run's cgroup; the next run does.
  const auto next = run_python_sandboxed("pass\n", quick());
  if (next.tree_limited) {
    const std::string prefix = "junction-sandbox-" + std::to_string(harness) + "-";
    EXPECT_EQ(cgroups_named(prefix), 0) << "a dead harness's cgroup was left behind";
  }
}

}  // namespace
}  // namespace junction::eval
