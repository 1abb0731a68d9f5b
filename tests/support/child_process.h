// A process a test starts and owns: stdout and stderr go to a log file, it can run as another
// user (PostgreSQL refuses to run as root), and it is killed and reaped when the object goes,
// so a failing test leaves no server behind.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace junction::test {

class ChildProcess {
 public:
  ChildProcess() = default;
  // Starts args[0] (a path) with args. `user`: run as this user (only when we are root);
  // empty: as ourselves. Throws junction::Error if it cannot start.
  ChildProcess(const std::vector<std::string>& args, const std::string& log_path,
               const std::string& user = "");
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  void signal(int sig) const;
  // Waits for the exit; the exit status (128 + signal when killed), or -1 if not started.
  int wait();
  // SIGKILL and reap (no-op when not running).
  void kill();

 private:
  pid_t pid_ = -1;
};

// Runs a command to completion; its exit status as ChildProcess::wait.
int run_command(const std::vector<std::string>& args, const std::string& log_path,
                const std::string& user = "");

}  // namespace junction::test
