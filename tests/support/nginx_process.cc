#include "tests/support/nginx_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/support/serve_process.h"

extern char** environ;

namespace junction::testing {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

// A port the kernel just handed out (nginx cannot report a port 0 bind back).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

NginxProcess::NginxProcess(const std::filesystem::path& www_root,
                           const std::filesystem::path& work_dir,
                           const std::string& extra_locations)
    : work_dir_(work_dir) {
  if (!std::filesystem::exists(kNginx)) return;
  std::filesystem::create_directories(work_dir);
  const int port = free_port();
  const std::string d = work_dir.string();
  std::ofstream(work_dir / "nginx.conf")
      << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << d
      << "/nginx.pid;\nevents { worker_connections 64; }\nhttp {\n"
      << "  log_format t '$status $request_uri';\n  access_log " << d << "/access.log t;\n"
      << "  client_body_temp_path " << d << "/tmp_body;\n  proxy_temp_path " << d
      << "/tmp_proxy;\n  fastcgi_temp_path " << d << "/tmp_fastcgi;\n  uwsgi_temp_path " << d
      << "/tmp_uwsgi;\n  scgi_temp_path " << d << "/tmp_scgi;\n"
      << "  default_type application/octet-stream;\n  server {\n    listen 127.0.0.1:" << port
      << ";\n    root " << www_root.string() << ";\n"
      << extra_locations << "  }\n}\n";
  const std::string prefix = d + "/", conf = d + "/nginx.conf", err = d + "/error.log";
  const char* argv[] = {kNginx,       "-p", prefix.c_str(), "-c",
                        conf.c_str(), "-e", err.c_str(),    nullptr};
  if (::posix_spawn(&pid_, kNginx, nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    pid_ = -1;
    return;
  }
  for (int i = 0; i < 100 && !port_open(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (port_open(port)) port_ = port;
}

NginxProcess::~NginxProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

std::string NginxProcess::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string NginxProcess::access_log() const {
  return read_file(work_dir_ / "access.log");
}

}  // namespace junction::testing
