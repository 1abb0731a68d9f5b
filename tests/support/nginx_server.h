// Debian's nginx on 127.0.0.1 for tests, one process (no daemon, no master) with every path it
// writes kept inside the test's folder; the caller supplies what goes in the `http` block.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/child_process.h"

namespace junction::test {

class NginxServer {
 public:
  static constexpr const char* kBinary = "/usr/sbin/nginx";
  static bool installed();

  // Writes `dir`/nginx.conf around `http_conf` (server blocks, log formats; `dir` must exist),
  // starts nginx and waits until `port` (one that http_conf listens on) accepts. running()
  // tells whether it did.
  NginxServer(const std::filesystem::path& dir, const std::string& http_conf, int port);
  ~NginxServer();  // SIGTERM (graceful) and reap

  bool running() const;

 private:
  ChildProcess process_;
  int port_;
};

}  // namespace junction::test
