#include "tests/support/postgres_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "core/error.h"
#include "tests/support/child_process.h"
#include "tests/support/loopback.h"

namespace junction::test {
namespace {

namespace fs = std::filesystem;

// The newest /usr/lib/postgresql/VERSION/bin holding initdb and pg_ctl (Debian's layout).
fs::path find_bin() {
  fs::path best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = e.path() / "bin";
    if (!fs::exists(bin / "initdb") || !fs::exists(bin / "pg_ctl")) continue;
    const int version = std::atoi(e.path().filename().c_str());
    if (version > best_version) best_version = version, best = bin;
  }
  return best;
}

// Where clusters live: tmpfs when it has room (copying a cluster and CREATE DATABASE are
// several times faster there than on an overlay disk), else the temp folder.
fs::path scratch_root() {
  struct statvfs st {};
  constexpr unsigned long long kEnough = 512ull << 20;  // bytes
  if (::statvfs("/dev/shm", &st) == 0 &&
      static_cast<unsigned long long>(st.f_bavail) * st.f_frsize >= kEnough)
    return "/dev/shm";
  return fs::temp_directory_path();
}

std::string current_user() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw ? pw->pw_name : "";
}

}  // namespace

PostgresServer::PostgresServer() {
  bin_ = find_bin();
  if (bin_.empty())
    throw Error(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: "
        "run scripts/install_deps.sh (Debian package postgresql)");
  user_ = current_user();
  std::string tmpl = (scratch_root() / "junction-pg-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw Error("PostgresServer: cannot create a temp folder");
  dir_ = tmpl;
  if (::geteuid() == 0) {
    // PostgreSQL refuses to run as root; its data folder must belong to whoever runs it.
    const passwd* pw = ::getpwnam("postgres");
    if (!pw)
      throw Error(
          "no 'postgres' user to run the test PostgreSQL server as (it refuses root): run "
          "scripts/install_deps.sh (Debian package postgresql creates it)");
    user_ = "postgres";
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw Error("PostgresServer: cannot give " + dir_.string() + " to user postgres");
  }
  const fs::path cluster = template_cluster();
  if (run_command({"/bin/cp", "-a", cluster.string(), (dir_ / "data").string()},
                  (dir_ / "initdb.log").string(), user_) != 0)
    throw Error("PostgresServer: copying " + cluster.string() + " failed: " + log_text());
  // A free port can be taken before the server binds it: try a few.
  for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
    port_ = free_port();
    const std::string options = "-p " + std::to_string(port_) + " -k " + dir_.string() +
                                " -c listen_addresses=127.0.0.1 -c fsync=off"
                                " -c max_connections=300";
    running_ =
        run_command({(bin_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-l",
                     (dir_ / "server.log").string(), "-w", "-t", "60", "-o", options, "start"},
                    (dir_ / "pg_ctl.log").string(), user_) == 0;
  }
  if (!running_) throw Error("the test PostgreSQL server did not start: " + log_text());
}

// initdb takes seconds and every test process starts a server: the first one initdb's into a
// staging folder and renames it (atomically) to a template that later ones copy. Keyed by the
// server's major version and by who runs it; one not owned by that user is not trusted.
fs::path PostgresServer::template_cluster() {
  const passwd* pw = ::getpwnam(user_.c_str());
  const uid_t owner = pw ? pw->pw_uid : ::geteuid();
  const fs::path cluster =
      dir_.parent_path() / ("junction-pg-template-" + bin_.parent_path().filename().string() + "-" +
                            std::to_string(owner));
  const auto trusted = [&] {
    struct stat st {};
    return ::stat((cluster / "PG_VERSION").c_str(), &st) == 0 && st.st_uid == owner;
  };
  if (trusted()) return cluster;
  const fs::path staging = dir_ / "template";
  const int rc =
      run_command({(bin_ / "initdb").string(), "-D", staging.string(), "-U", "junction", "-A",
                   "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--wal-segsize=1"},
                  (dir_ / "initdb.log").string(), user_);
  if (rc != 0) throw Error("initdb failed: " + log_text());
  std::error_code ec;
  fs::rename(staging, cluster, ec);  // another process may have won the race: use theirs
  return trusted() ? cluster : staging;
}

PostgresServer::~PostgresServer() {
  if (running_)
    run_command({(bin_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-m", "immediate",
                 "-w", "stop"},
                (dir_ / "pg_ctl.log").string(), user_);
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgres://junction@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::create_database(const std::string& name) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(url("postgres").c_str()), PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw Error(std::string("PostgresServer: cannot connect: ") + PQerrorMessage(c.get()));
  char* quoted = PQescapeIdentifier(c.get(), name.c_str(), name.size());
  const std::string sql = std::string("CREATE DATABASE ") + quoted;
  PQfreemem(quoted);
  PGresult* r = PQexec(c.get(), sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) throw Error("PostgresServer: " + sql + ": " + PQerrorMessage(c.get()));
  return url(name);
}

void PostgresServer::restart() {
  pg_ctl({"-m", "fast", "-w", "restart"});
}

void PostgresServer::pg_ctl(const std::vector<std::string>& args) {
  std::vector<std::string> command = {(bin_ / "pg_ctl").string(), "-D", (dir_ / "data").string(),
                                      "-l", (dir_ / "server.log").string()};
  command.insert(command.end(), args.begin(), args.end());
  if (run_command(command, (dir_ / "pg_ctl.log").string(), user_) != 0)
    throw Error("pg_ctl " + args.back() + " failed: " + log_text());
}

std::string PostgresServer::log_text() const {
  std::string out;
  for (const char* name : {"initdb.log", "pg_ctl.log", "server.log"}) {
    std::ifstream in(dir_ / name);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!text.empty()) out += "\n--- " + std::string(name) + " ---\n" + text;
  }
  return out;
}

}  // namespace junction::test
