// `junction serve` (an engine, or a gateway with --config) as a child process for end-to-end
// tests: started on port 0 with its output in a log file, its port read back from the
// "listening on http://127.0.0.1:PORT" line, stopped with SIGTERM when the object goes away.
// Real processes on loopback, so tests run concurrently with other agents' tests.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace junction::testing {

class ServeProcess {
 public:
  // Runs `binary args...`; waits (up to `timeout_s`) for the listening line or the child's exit.
  ServeProcess(const std::string& binary, const std::vector<std::string>& args,
               const std::filesystem::path& log, double timeout_s = 120);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  pid_t pid() const { return pid_; }
  int port() const { return port_; }  // 0: it did not start (see log())
  std::string url() const;            // "http://127.0.0.1:PORT"
  std::string log() const;            // the child's output so far

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_;
};

// `junction serve --model DIR --host 127.0.0.1 --port 0 --threads 2 --parallel 4` with an f32
// KV cache (the tests compare its numbers with references made in f32).
std::vector<std::string> engine_serve_args(const std::string& model_dir);

// The whole of a file ("" when it does not exist).
std::string read_file(const std::filesystem::path& path);

// std::system's exit status (-1 when killed by a signal).
int run_command(const std::string& command);

}  // namespace junction::testing
