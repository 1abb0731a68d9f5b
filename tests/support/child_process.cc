#include "tests/support/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "core/error.h"

extern char** environ;

namespace junction::test {

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& log_path,
                           const std::string& user) {
  if (args.empty()) throw Error("ChildProcess: no command");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  uid_t uid = 0;
  gid_t gid = 0;
  const bool switch_user = !user.empty() && ::geteuid() == 0;
  if (switch_user) {
    const passwd* pw = ::getpwnam(user.c_str());
    if (!pw) throw Error("ChildProcess: no user '" + user + "' to run " + args[0] + " as");
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  // Everything the child needs is prepared above: between fork and exec only async-signal-safe
  // calls, since the test process has other threads.
  pid_ = ::fork();
  if (pid_ < 0) throw Error("ChildProcess: fork failed for " + args[0]);
  if (pid_ == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    if (switch_user && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0))
      ::_exit(126);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  kill();
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ChildProcess::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

void ChildProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait();
}

int run_command(const std::vector<std::string>& args, const std::string& log_path,
                const std::string& user) {
  ChildProcess p(args, log_path, user);
  return p.wait();
}

}  // namespace junction::test
