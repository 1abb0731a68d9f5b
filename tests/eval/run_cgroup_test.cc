// The sandbox run's cgroup: where it goes on hand-written machine layouts (v1 beside v2, v2
// alone under systemd, a container whose cgroup is mounted at its root), and, where this machine
// lets the test make one, that it kills a process that left its process group and session.
#include "eval/run_cgroup.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace junction::eval {
namespace {

// A machine with the v1 controllers and a v2 hierarchy holding none of memory and pids (this
// one's layout when the test was written): memory and pids are found in v1.
TEST(RunCgroup, FindsTheV1HierarchiesBesideAnEmptyV2) {
  const std::string mountinfo =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  const std::string self =
      "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/f6ab\n1:cpu:/\n0::/\n";
  const CgroupPlaces p = find_cgroup_places(mountinfo, self);
  EXPECT_EQ(p.v2.dir, "/sys/fs/cgroup/unified");
  EXPECT_EQ(p.v2.path, "/");
  EXPECT_EQ(p.v1_memory.dir, "/sys/fs/cgroup/memory/process_api/f6ab");
  EXPECT_EQ(p.v1_memory.path, "/process_api/f6ab");
  EXPECT_EQ(p.v1_pids.dir, "/sys/fs/cgroup/pids");
  EXPECT_EQ(p.v1_pids.path, "/");
}

// A systemd machine with the unified hierarchy only; the mount line has optional fields.
TEST(RunCgroup, FindsTheUnifiedHierarchyUnderSystemd) {
  const std::string mountinfo =
      "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
      "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n";
  const CgroupPlaces p =
      find_cgroup_places(mountinfo, "0::/user.slice/user-1000.slice/session-3.scope\n");
  EXPECT_EQ(p.v2.dir, "/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope");
  EXPECT_EQ(p.v2.path, "/user.slice/user-1000.slice/session-3.scope");
  EXPECT_TRUE(p.v1_memory.dir.empty());
  EXPECT_TRUE(p.v1_pids.dir.empty());
}

// A container without a cgroup namespace: its own cgroup is mounted at /sys/fs/cgroup, and
// /proc/self/cgroup names the host's path. A cgroup outside the mount has no directory here.
TEST(RunCgroup, MapsACgroupMountedAtItsOwnPath) {
  const std::string mountinfo =
      "700 690 0:40 /docker/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n";
  CgroupPlaces p = find_cgroup_places(mountinfo, "0::/docker/abc/inner\n");
  EXPECT_EQ(p.v2.dir, "/sys/fs/cgroup/inner");
  EXPECT_EQ(p.v2.path, "/docker/abc/inner");
  p = find_cgroup_places(mountinfo, "0::/elsewhere\n");
  EXPECT_TRUE(p.v2.dir.empty());
}

// A process that joined the cgroup, left its session and double-forked is out of reach of a
// process-group kill; kill_all finds it through the cgroup.
TEST(RunCgroup, KillsAProcessThatLeftItsSession) {
  RunCgroup cgroup(int64_t{64} << 20, 8);
  if (!cgroup.active()) GTEST_SKIP() << cgroup.why_unavailable();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (!cgroup.join_self()) _exit(1);
    setsid();
    if (fork() == 0) {
      (void)!write(ready[1], "r", 1);
      execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
      _exit(2);
    }
    _exit(0);
  }
  close(ready[1]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child could not join";
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  EXPECT_EQ(cgroup.kill_all(), 1) << "the sleeper was not (only) what was left";
  EXPECT_EQ(cgroup.kill_all(), 0);
}

}  // namespace
}  // namespace junction::eval
