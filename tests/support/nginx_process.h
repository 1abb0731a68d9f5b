// nginx as a child process serving a folder of static files on a free loopback port, for tests
// that download (`junction eval --download`) or need a canned answer from a server
// (`extra_locations`: nginx location blocks). Skipping is the caller's call: port() is 0 when
// /usr/sbin/nginx is missing or did not start. The access log records "$status $request_uri".
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace junction::testing {

class NginxProcess {
 public:
  NginxProcess(const std::filesystem::path& www_root, const std::filesystem::path& work_dir,
               const std::string& extra_locations = "");
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  int port() const { return port_; }
  std::string url() const;         // "http://127.0.0.1:PORT"
  std::string access_log() const;  // one line per request so far

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path work_dir_;
};

}  // namespace junction::testing
