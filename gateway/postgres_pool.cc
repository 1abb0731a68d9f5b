#include "gateway/postgres_pool.h"

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <string_view>
#include <thread>

#include "core/error.h"

namespace junction::gateway {

PgResult::~PgResult() {
  PQclear(r_);
}

int PgResult::rows() const {
  return PQntuples(r_);
}

int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(r_);
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}

bool PgResult::null(int row, int col) const {
  return PQgetisnull(r_, row, col) != 0;
}

std::string PgResult::text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

int64_t PgResult::i64(int row, int col) const {
  return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}

double PgResult::f64(int row, int col) const {
  return std::strtod(PQgetvalue(r_, row, col), nullptr);
}

bool PgResult::boolean(int row, int col) const {
  return PQgetvalue(r_, row, col)[0] == 't';
}

struct PostgresPool::Connection {
  PGconn* conn = nullptr;
  ~Connection() { PQfinish(conn); }
};

// Holds a connection for one call and gives it back to the pool, broken or not (a broken one is
// re-established by the next user).
class PostgresPool::Lease {
 public:
  Lease(PostgresPool& pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
  ~Lease() { pool_.release(std::move(c_)); }
  Connection& operator*() { return *c_; }
  std::unique_ptr<Connection>& ptr() { return c_; }

 private:
  PostgresPool& pool_;
  std::unique_ptr<Connection> c_;
};

namespace {

std::string message(PGconn* conn) {
  std::string m = PQerrorMessage(conn);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// The schema's NOTICEs ("relation already exists, skipping") are expected, not news.
void ignore_notice(void*, const PGresult*) {}

}  // namespace

std::string PostgresPool::redacted(const std::string& conninfo) {
  static const std::regex uri_password(R"(^(postgres(?:ql)?://[^:@/]*:)[^@/]*@)");
  static const std::regex kv_password(R"(password\s*=\s*('[^']*'|\S+))");
  std::string out = std::regex_replace(conninfo, uri_password, "$1***@");
  return std::regex_replace(out, kv_password, "password=***");
}

PostgresPool::PostgresPool(std::string conninfo, std::string setup_sql,
                           std::vector<PreparedSql> statements, int max_connections)
    : conninfo_(std::move(conninfo)),
      statements_(std::move(statements)),
      max_connections_(max_connections < 1 ? 1 : max_connections) {
  std::unique_ptr<Connection> c = connect();
  if (!setup_sql.empty()) {
    PGresult* r = PQexec(c->conn, setup_sql.c_str());
    const ExecStatusType status = PQresultStatus(r);
    PQclear(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      throw Error("postgres store " + redacted(conninfo_) +
                  ": creating the schema failed: " + message(c->conn));
  }
  prepare(*c);
  std::lock_guard lock(mutex_);
  ++open_;
  idle_.push_back(std::move(c));
}

PostgresPool::~PostgresPool() = default;

std::unique_ptr<PostgresPool::Connection> PostgresPool::connect() {
  // Bounds on a database that stops answering, so that it fails the callers instead of holding
  // their threads: connecting, a statement running on the server, and a dead peer or network
  // (TCP keepalives, and unacknowledged data for 15 s). They come before the URL in the list,
  // so a URL that sets any of them wins.
  static const char* const keywords[] = {"connect_timeout",
                                         "keepalives",
                                         "keepalives_idle",
                                         "keepalives_interval",
                                         "keepalives_count",
                                         "tcp_user_timeout",
                                         "options",
                                         "dbname",
                                         nullptr};
  const char* const values[] = {
      "5", "1", "10", "5", "3", "15000", "-c statement_timeout=15000", conninfo_.c_str(), nullptr};
  auto c = std::make_unique<Connection>();
  c->conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (!c->conn) throw Error("postgres store: out of memory");
  if (PQstatus(c->conn) != CONNECTION_OK)
    throw Error("cannot connect to the postgres store " + redacted(conninfo_) + ": " +
                message(c->conn));
  PQsetNoticeReceiver(c->conn, ignore_notice, nullptr);
  return c;
}

void PostgresPool::prepare(Connection& c) {
  for (const PreparedSql& s : statements_) {
    // Preparing a statement locks the tables it names, one after the other; a gateway
    // creating the schema at the same moment locks them in its own order, and PostgreSQL
    // then breaks the deadlock by failing one of the two. Preparing again is harmless.
    for (int attempt = 0;; ++attempt) {
      PGresult* r = PQprepare(c.conn, s.name.c_str(), s.sql.c_str(), 0, nullptr);
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      const bool deadlock = state && std::string_view(state) == "40P01";
      PQclear(r);
      if (ok) break;
      if (!deadlock || attempt == 10)
        throw Error("postgres: preparing " + s.name + ": " + message(c.conn));
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
    }
  }
}

void PostgresPool::release(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mutex_);
    if (c)
      idle_.push_back(std::move(c));
    else
      --open_;
  }
  returned_.notify_one();
}

PgResult PostgresPool::exec(const char* statement, const std::vector<std::string>& params) {
  std::unique_ptr<Connection> taken;
  {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !idle_.empty() || open_ < max_connections_; });
    if (!idle_.empty()) {
      taken = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // a slot for a connection made below, outside the lock
    }
  }
  Lease lease(*this, std::move(taken));
  // A connection whose statements could not all be prepared is dropped, not pooled; on any
  // failure here the Lease gives the slot back.
  const auto prepared = [&] {
    try {
      prepare(*lease);
    } catch (...) {
      lease.ptr().reset();
      throw;
    }
  };
  if (!lease.ptr()) {
    lease.ptr() = connect();
    prepared();
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  for (int attempt = 0;; ++attempt) {
    PGconn* conn = (*lease).conn;
    if (PQstatus(conn) != CONNECTION_OK) {
      // Broken by an earlier call (or just now): start afresh; statements die with the session.
      PQreset(conn);
      if (PQstatus(conn) != CONNECTION_OK)
        throw Error("postgres store " + redacted(conninfo_) + " is unreachable: " + message(conn));
      prepared();
    }
    PGresult* r = PQexecPrepared(conn, statement, static_cast<int>(values.size()), values.data(),
                                 nullptr, nullptr, 0);
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(r);
    PQclear(r);
    // Sent once more only when the connection itself failed: a statement the server refused
    // would be refused again.
    if (attempt == 0 && PQstatus(conn) != CONNECTION_OK) continue;
    throw Error(std::string("postgres: ") + statement + ": " + message(conn));
  }
}

}  // namespace junction::gateway
