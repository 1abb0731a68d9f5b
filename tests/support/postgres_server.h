// A throwaway PostgreSQL server for tests: a fresh cluster in a temp folder (on /dev/shm when it
// has room; initdb, or a copy of one initdb made earlier), then pg_ctl start on a free
// 127.0.0.1 port with its unix socket in that folder, trust authentication for the superuser
// "junction", fsync off (the tests kill gateways, never this server). When the test runs as root
// the server runs as the `postgres` user, which PostgreSQL requires. Stopped (immediate) and its
// folder removed on destruction.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace junction::test {

class PostgresServer {
 public:
  // Throws junction::Error when the server binaries are missing (the message says to run
  // scripts/install_deps.sh) or the server does not start (the message quotes its log).
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // postgres://junction@127.0.0.1:PORT/DATABASE
  std::string url(const std::string& database) const;
  // Creates an empty database; its URL.
  std::string create_database(const std::string& name);
  // pg_ctl restart -m fast: every client connection is cut, the data stays.
  void restart();

 private:
  std::filesystem::path template_cluster();
  void pg_ctl(const std::vector<std::string>& args);
  std::string log_text() const;

  std::filesystem::path bin_, dir_;
  std::string user_;  // who runs the server: "postgres" when we are root, else ourselves
  int port_ = 0;
  bool running_ = false;
};

}  // namespace junction::test
