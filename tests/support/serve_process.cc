#include "tests/support/serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace junction::testing {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run_command(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> engine_serve_args(const std::string& model_dir) {
  // An f32 KV cache: these servers are compared with references made in f32 (HF, the in-process
  // engine); serve's default f16 cache moves log-probabilities by ~1e-3.
  return {"serve", "--model",        model_dir, "--host",     "127.0.0.1", "--port",
          "0",     "--threads",      "2",       "--parallel", "4",         "--cache-type-k",
          "f32",   "--cache-type-v", "f32"};
}

ServeProcess::ServeProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::filesystem::path& log, double timeout_s)
    : log_(log) {
  std::vector<std::string> argv_text = {binary};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  const std::string marker = "listening on http://127.0.0.1:";
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
  while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
    // Only a line of this process's own (a gateway forwards its local engines' lines, which
    // also say "listening", behind a "[provider] " prefix).
    const std::string text = read_file(log);
    for (size_t at = 0; (at = text.find(marker, at)) != std::string::npos; at += marker.size()) {
      const size_t line_start = text.rfind('\n', at);
      if (text.compare(line_start == std::string::npos ? 0 : line_start + 1, 9, "junction ") != 0)
        continue;
      port_ = std::atoi(text.c_str() + at + marker.size());
      break;
    }
    if (port_ != 0) break;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
}

std::string ServeProcess::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string ServeProcess::log() const {
  return read_file(log_);
}

}  // namespace junction::testing
