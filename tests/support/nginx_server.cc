#include "tests/support/nginx_server.h"

#include <signal.h>

#include <fstream>

#include "tests/support/loopback.h"

namespace junction::test {

bool NginxServer::installed() {
  return std::filesystem::exists(kBinary);
}

NginxServer::NginxServer(const std::filesystem::path& dir, const std::string& http_conf, int port)
    : port_(port) {
  if (!installed()) return;
  const std::string d = dir.string();
  std::ofstream(dir / "nginx.conf") << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                                    << "pid " << d << "/nginx.pid;\n"
                                    << "events { worker_connections 1024; }\nhttp {\n"
                                    << "  client_body_temp_path " << d << "/tmp_body;\n"
                                    << "  proxy_temp_path " << d << "/tmp_proxy;\n"
                                    << "  fastcgi_temp_path " << d << "/tmp_fastcgi;\n"
                                    << "  uwsgi_temp_path " << d << "/tmp_uwsgi;\n"
                                    << "  scgi_temp_path " << d << "/tmp_scgi;\n"
                                    << http_conf << "}\n";
  process_ =
      ChildProcess({kBinary, "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/nginx-error.log"},
                   d + "/nginx.out");
  wait_for_port(port_, std::chrono::seconds(5));
}

NginxServer::~NginxServer() {
  if (!process_.started()) return;
  process_.signal(SIGTERM);
  process_.wait();
}

bool NginxServer::running() const {
  return process_.started() && port_open(port_);
}

}  // namespace junction::test
