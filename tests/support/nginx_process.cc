#include "tests/support/nginx_process.h"

#include "tests/support/loopback.h"
#include "tests/support/serve_process.h"

namespace junction::testing {

NginxProcess::NginxProcess(const std::filesystem::path& www_root,
                           const std::filesystem::path& work_dir,
                           const std::string& extra_locations)
    : work_dir_(work_dir) {
  if (!test::NginxServer::installed()) return;
  std::filesystem::create_directories(work_dir);
  const int port = test::free_port();
  const std::string conf =
      "  log_format t '$status $request_uri';\n  access_log " + (work_dir / "access.log").string() +
      " t;\n  default_type application/octet-stream;\n"
      "  server {\n    listen 127.0.0.1:" +
      std::to_string(port) + ";\n    root " + www_root.string() + ";\n" + extra_locations + "  }\n";
  server_ = std::make_unique<test::NginxServer>(work_dir, conf, port);
  if (server_->running()) port_ = port;
}

NginxProcess::~NginxProcess() = default;

std::string NginxProcess::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string NginxProcess::access_log() const {
  return read_file(work_dir_ / "access.log");
}

}  // namespace junction::testing
