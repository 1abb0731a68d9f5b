// Connections to one PostgreSQL database for the store: a bounded pool of libpq connections,
// one per concurrent caller and reused, each with the store's statements prepared once. A
// connection found broken (server restarted, network cut) is re-established and the statement
// sent again, once: it may have committed before the connection broke, so every statement the
// store sends is idempotent (postgres_store.cc). Connecting, statements and a silent peer are
// bounded in time (connect_timeout, statement_timeout, TCP keepalives and user timeout). Parameters
// always travel apart from the SQL text (PQexecPrepared), so no value can change a statement. Not a
// general client: text results, no COPY, no async.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

struct pg_conn;
struct pg_result;

namespace junction::gateway {

// A statement every connection prepares: its name and SQL with $1.. placeholders.
struct PreparedSql {
  std::string name;
  std::string sql;
};

// One query's result, text format; cleared on destruction.
class PgResult {
 public:
  explicit PgResult(pg_result* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  PgResult(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  int64_t affected() const;  // rows an INSERT/UPDATE/DELETE touched
  bool null(int row, int col) const;
  std::string text(int row, int col) const;
  int64_t i64(int row, int col) const;
  double f64(int row, int col) const;
  bool boolean(int row, int col) const;

 private:
  pg_result* r_;
};

class PostgresPool {
 public:
  // `conninfo`: a libpq URI (postgres://user:pass@host:port/db?...) or key=value string.
  // `setup_sql` runs once, on the first connection (e.g. the schema); `statements` are
  // prepared on every connection. Connects once at construction so a wrong URL fails at start.
  PostgresPool(std::string conninfo, std::string setup_sql, std::vector<PreparedSql> statements,
               int max_connections);
  ~PostgresPool();

  // Runs a prepared statement with text parameters; throws junction::Error on failure.
  PgResult exec(const char* statement, const std::vector<std::string>& params);

  // The URL with any password replaced by "***", for messages and logs.
  static std::string redacted(const std::string& conninfo);

 private:
  struct Connection;
  class Lease;

  std::unique_ptr<Connection> connect();
  void prepare(Connection& c);
  void release(std::unique_ptr<Connection> c);

  std::string conninfo_;
  std::vector<PreparedSql> statements_;
  int max_connections_;

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // connections in use or idle
};

}  // namespace junction::gateway
