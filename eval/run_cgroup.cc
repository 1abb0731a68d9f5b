#include "eval/run_cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace junction::eval {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `text` to a cgroup control file; "" on success, else why not.
std::string write_control(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return path + ": " + std::strerror(errno);
  const ssize_t n = write(fd, text.data(), text.size());
  const int error = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) return path + ": " + std::strerror(error);
  return "";
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

// Whether `word` is one of the items of `list`, separated by `sep` or white space (control
// files end in a newline).
bool has_word(std::string list, const std::string& word, char sep) {
  std::replace(list.begin(), list.end(), sep, ' ');
  std::istringstream items(list);
  for (std::string w; items >> w;)
    if (w == word) return true;
  return false;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

struct CgroupMount {
  std::string root, point, fstype, options;
};

// The cgroup file systems this process sees (/proc/self/mountinfo: root and mount point are
// fields 4 and 5; the file system type and its options follow the " - ").
std::vector<CgroupMount> cgroup_mounts(const std::string& mountinfo) {
  std::vector<CgroupMount> out;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    const std::vector<std::string> left = split(line.substr(0, dash), ' ');
    const std::vector<std::string> right = split(line.substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    if (right[0] != "cgroup" && right[0] != "cgroup2") continue;
    out.push_back({left[3], left[4], right[0], right[2]});
  }
  return out;
}

// The directory of `cgroup_path` (as /proc/self/cgroup writes it) under `m`, or "".
std::string directory_of(const CgroupMount& m, const std::string& cgroup_path) {
  if (m.root == "/") return m.point + (cgroup_path == "/" ? "" : cgroup_path);
  if (cgroup_path.rfind(m.root, 0) != 0) return "";
  return m.point + cgroup_path.substr(m.root.size());
}

// A run's cgroup is kPrefix, the harness's pid, '-' and a random suffix.
constexpr const char* kPrefix = "junction-sandbox-";

// 16 hex digits from the system's random source: a name no concurrent run picks.
std::string random_suffix() {
  std::random_device random;
  char text[17];
  std::snprintf(text, sizeof text, "%08x%08x", random(), random());
  return text;
}

// The processes in a cgroup directory now.
std::vector<pid_t> members(const std::string& dir) {
  std::vector<pid_t> out;
  std::ifstream in(dir + "/cgroup.procs");
  long pid = 0;
  while (in >> pid) out.push_back(static_cast<pid_t>(pid));
  return out;
}

// SIGKILL to `pid` if it is still in the cgroup at `relative` (as /proc/PID/cgroup writes
// it): the pid read from cgroup.procs may have ended and been reused by now. The pidfd fixes
// which process we mean; the membership is checked after it is taken.
void kill_member(pid_t pid, const std::string& relative) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return;  // gone
  const std::string membership = read_text("/proc/" + std::to_string(pid) + "/cgroup");
  if (membership.find(":" + relative + "\n") != std::string::npos)
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  close(pidfd);
}

// Removes the cgroups in `parent` left by harnesses that ended without removing theirs
// (SIGKILL): named junction-sandbox-PID-..., PID no longer running. Their processes died with
// them (parent-death signals), so the cgroups are empty; one that is not stays.
void remove_stale(const std::string& parent) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    const long pid = std::atol(name.c_str() + std::strlen(kPrefix));
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) rmdir(e.path().c_str());
  }
}

}  // namespace

CgroupPlaces find_cgroup_places(const std::string& mountinfo, const std::string& self_cgroup) {
  const std::vector<CgroupMount> mounts = cgroup_mounts(mountinfo);
  // hierarchy id : controllers : path, one line per hierarchy; "0::path" is v2.
  std::vector<std::vector<std::string>> membership;
  for (const std::string& line : split(self_cgroup, '\n')) {
    const size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b != std::string::npos)
      membership.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  CgroupPlaces out;
  for (const CgroupMount& m : mounts)
    for (const auto& entry : membership) {
      const std::string dir = directory_of(m, entry[2]);
      if (dir.empty()) continue;
      if (m.fstype == "cgroup2" && entry[0] == "0" && entry[1].empty()) {
        out.v2 = {dir, entry[2]};
      } else if (m.fstype == "cgroup") {
        // The hierarchy mounted here is the one whose controllers the mount options name.
        for (auto [controller, place] :
             {std::pair{"memory", &out.v1_memory}, {"pids", &out.v1_pids}})
          if (has_word(m.options, controller, ',') && has_word(entry[1], controller, ','))
            *place = {dir, entry[2]};
      }
    }
  return out;
}

RunCgroup::RunCgroup(int64_t memory_bytes, int64_t max_tasks) {
  const std::string name = kPrefix + std::to_string(getpid()) + "-" + random_suffix();
  const std::string memory = std::to_string(memory_bytes), tasks = std::to_string(max_tasks);
  const CgroupPlaces places =
      find_cgroup_places(read_text("/proc/self/mountinfo"), read_text("/proc/self/cgroup"));
  const auto undo = [&] {
    for (const int fd : procs_fds_) close(fd);
    procs_fds_.clear();
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) rmdir(it->c_str());
    dirs_.clear();
    paths_.clear();
  };
  // A directory `name` in `parent`, the directory of the cgroup `path`.
  const auto make = [&](const std::string& parent, const std::string& path) -> std::string {
    remove_stale(parent);
    const std::string dir = parent + "/" + name;
    if (mkdir(dir.c_str(), 0755) != 0) return dir + ": " + std::strerror(errno);
    dirs_.push_back(dir);
    paths_.push_back((path == "/" ? "" : path) + "/" + name);
    return "";
  };
  const auto open_procs = [&]() -> std::string {
    for (const std::string& dir : dirs_) {
      const int fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return dir + "/cgroup.procs: " + std::strerror(errno);
      procs_fds_.push_back(fd);
    }
    return "";
  };

  // v2: one directory, if the memory and pids controllers reach it.
  std::string why_v2 = "no cgroup2 mount";
  for (const auto& [parent, path] : {places.v2}) {
    if (parent.empty()) continue;
    const std::string available = read_text(parent + "/cgroup.controllers");
    if (!has_word(available, "memory", ' ') || !has_word(available, "pids", ' ')) {
      why_v2 = "the memory and pids controllers are not available in " + parent +
               " (cgroup.controllers: " + first_line(available) + ")";
      continue;
    }
    const std::string enabled = read_text(parent + "/cgroup.subtree_control");
    if (!has_word(enabled, "memory", ' ') || !has_word(enabled, "pids", ' ')) {
      // Fails (EBUSY) where the harness's cgroup has processes and is not the root: then a
      // subtree must be delegated to it.
      why_v2 = write_control(parent + "/cgroup.subtree_control", "+memory +pids");
      if (!why_v2.empty()) continue;
    }
    why_v2 = make(parent, path);
    if (why_v2.empty()) why_v2 = write_control(dirs_[0] + "/memory.max", memory);
    if (why_v2.empty()) why_v2 = write_control(dirs_[0] + "/pids.max", tasks);
    if (why_v2.empty()) {
      write_control(dirs_[0] + "/memory.swap.max", "0");  // absent without swap accounting
      why_v2 = open_procs();
    }
    if (why_v2.empty()) {
      v2_ = true;
      return;
    }
    undo();
  }

  // v1: a directory in the memory hierarchy and one in the pids hierarchy.
  std::string why_v1;
  for (const std::string controller : {"memory", "pids"}) {
    const auto& [parent, path] = controller == "memory" ? places.v1_memory : places.v1_pids;
    if (parent.empty()) {
      why_v1 = "no " + controller + " hierarchy";
      break;
    }
    why_v1 = make(parent, path);
    if (!why_v1.empty()) break;
    if (controller == "memory") {
      why_v1 = write_control(dirs_.back() + "/memory.limit_in_bytes", memory);
      // Memory plus swap; absent where swap is not accounted. After the line above: it may
      // not be set below memory.limit_in_bytes.
      write_control(dirs_.back() + "/memory.memsw.limit_in_bytes", memory);
    } else {
      why_v1 = write_control(dirs_.back() + "/pids.max", tasks);
    }
    if (!why_v1.empty()) break;
  }
  if (why_v1.empty()) why_v1 = open_procs();
  if (why_v1.empty()) return;
  undo();
  why_ = "cgroup v2: " + why_v2 + "; cgroup v1: " + why_v1;
}

RunCgroup::~RunCgroup() {
  if (!active()) return;
  kill_all();
  for (const int fd : procs_fds_) close(fd);
  // Dying processes leave their cgroup a moment after they are gone from cgroup.procs.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it)
    for (int attempt = 0; attempt < 200 && rmdir(it->c_str()) != 0 && errno == EBUSY; ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

bool RunCgroup::join_self() const noexcept {
  for (const int fd : procs_fds_)
    if (write(fd, "0", 1) != 1) return false;
  return !procs_fds_.empty();
}

int RunCgroup::kill_all() {
  if (!active()) return 0;
  if (v2_) write_control(dirs_[0] + "/cgroup.kill", "1");  // Linux 5.14; else the loop below
  std::set<pid_t> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    bool empty = true;
    for (size_t i = 0; i < dirs_.size(); ++i) {
      const std::vector<pid_t> pids = members(dirs_[i]);
      if (pids.empty()) continue;
      empty = false;
      for (const pid_t pid : pids) {
        seen.insert(pid);
        kill_member(pid, paths_[i]);
      }
    }
    if (empty) return static_cast<int>(seen.size());
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool RunCgroup::memory_exhausted() const {
  if (!active()) return false;
  const std::string events = read_text(dirs_[0] + (v2_ ? "/memory.events" : "/memory.oom_control"));
  const size_t at = events.find("oom_kill ");
  return at != std::string::npos && std::atol(events.c_str() + at + 9) > 0;
}

}  // namespace junction::eval
