#include "gateway/gateway.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "api/messages_error.h"
#include "core/error.h"
#include "core/shutdown_signals.h"
#include "gateway/admin_api.h"
#include "gateway/auth_failure_limiter.h"
#include "gateway/catalogue_config.h"
#include "gateway/completion_proxy.h"
#include "gateway/key_hash.h"
#include "gateway/key_pepper.h"
#include "gateway/local_engine.h"
#include "gateway/messages_api.h"
#include "gateway/postgres_pool.h"
#include "gateway/postgres_store.h"
#include "gateway/public_api.h"
#include "gateway/responses_api.h"
#include "gateway/sqlite_store.h"
#include "http/api_error.h"
#include "web/report_files.h"
#include "web/web_ui.h"

namespace junction::gateway {
namespace {

using http::ApiError;

std::string bearer(const http::HttpRequest& req) {
  const std::string h = req.header("authorization");
  if (h.rfind("Bearer ", 0) == 0) return h.substr(7);
  return req.header("x-api-key");
}

bool equal_constant_time(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::shared_ptr<const ApiKeyRecord> authenticate(GatewayState& g, const http::HttpRequest& req) {
  const std::string key = bearer(req);
  if (key.empty())
    throw ApiError(401, "Missing API key: send 'Authorization: Bearer KEY' or 'x-api-key: KEY'",
                   "authentication_error", "", "invalid_api_key");
  const std::string hash = hash_api_key(g.config().key_pepper, key);
  const int64_t now = g.clock().monotonic_ms();
  std::shared_ptr<const ApiKeyRecord> record = g.keys().get(hash, now);
  if (!record) {
    auto read = g.store().key_by_hash(hash);
    if (read) {
      record = std::make_shared<const ApiKeyRecord>(std::move(*read));
      g.keys().put(hash, record, now);
    }
  }
  if (!record || record->disabled)
    throw ApiError(401, "Invalid API key", "authentication_error", "", "invalid_api_key");
  return record;
}

// The admin key checked, with failed attempts limited per peer address (10 a minute, then 429
// until the oldest leaves the minute): the admin key moves money, and one listener serves it
// to the same internet as the client API.
void check_admin_key(GatewayState& g, const http::HttpRequest& req) {
  AuthFailureLimiter& failures = g.auth_failures();
  const int64_t now = g.clock().monotonic_ms();
  if (const int64_t wait_ms = failures.blocked_for_ms(req.peer, now); wait_ms > 0)
    throw ApiError(429,
                   "Too many failed admin-key attempts from your address; retry in " +
                       std::to_string((wait_ms + 999) / 1000) + " s.",
                   "rate_limit_error", "", "too_many_failed_attempts");
  if (g.config().admin_key.empty() || !equal_constant_time(bearer(req), g.config().admin_key)) {
    failures.record_failure(req.peer, now);
    throw ApiError(401, "Invalid admin key", "authentication_error", "", "invalid_api_key");
  }
  failures.record_success(req.peer);
}

// On the request's head, before its body is read: a client without a valid key cannot make
// the gateway read (and hold a thread for) a body of up to 16 MiB.
void admit(GatewayState& g, const http::HttpRequest& head) {
  const std::string& p = head.path;
  if (p.rfind("/admin/", 0) == 0) return check_admin_key(g, head);
  if (p == "/v1/chat/completions" || p == "/v1/completions" || p == "/v1/responses")
    authenticate(g, head);
  if (p == "/v1/messages" || p == "/v1/messages/count_tokens") {
    try {
      authenticate(g, head);
    } catch (ApiError& e) {
      e.body = api::messages_error_json(e);  // Anthropic's clients read their own shape
      throw;
    }
  }
}

void dispatch(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res) {
  const std::string& p = req.path;
  // The web interface (playground, dashboard, reports): the page holds no secrets and asks for
  // the client or admin key itself; the reports folder is published (web/report_files.h).
  if (web::serve_web_ui(req, res) || web::serve_reports(g.config().reports_dir, req, res)) return;
  if (p == "/health") return res.send(200, "application/json", R"({"status":"ok"})");
  // Metrics name every model and provider and show their traffic and failures: the operator's,
  // so behind the admin key (there is one listener).
  if (p == "/metrics") {
    check_admin_key(g, req);
    return res.send(200, "text/plain; version=0.0.4", g.metrics().render());
  }
  if (p.rfind("/admin/", 0) == 0) {
    check_admin_key(g, req);
    return handle_admin(g, req, res);
  }
  const bool chat = p == "/v1/chat/completions";
  if (chat || p == "/v1/completions") {
    if (req.method != "POST") throw ApiError(405, "Use POST for " + p);
    const auto key = authenticate(g, req);
    return handle_completion(g, req, res, *key, chat);
  }
  if (p == "/v1/messages") {
    if (req.method != "POST") throw ApiError(405, "Use POST for " + p);
    const auto key = authenticate(g, req);
    return handle_messages(g, req, res, *key);
  }
  if (p == "/v1/responses") {
    if (req.method != "POST") throw ApiError(405, "Use POST for " + p);
    const auto key = authenticate(g, req);
    return handle_responses(g, req, res, *key);
  }
  if (p == "/v1/messages/count_tokens") {
    if (req.method != "POST") throw ApiError(405, "Use POST for " + p);
    return handle_count_tokens(g, req, res, *authenticate(g, req));
  }
  if (p == "/v1/models" && req.method == "GET")
    return handle_models(g, req, res, *authenticate(g, req));
  if (p == "/v1/generation" && req.method == "GET")
    return handle_generation(g, req, res, *authenticate(g, req));
  throw ApiError(404, "No route " + req.method + " " + p, "invalid_request_error", "", "not_found");
}

}  // namespace

std::unique_ptr<Store> open_store(const GatewayConfig& config) {
  const std::string sqlite = "sqlite://";
  if (config.store.rfind(sqlite, 0) == 0)
    return std::make_unique<SqliteStore>(config.store.substr(sqlite.size()),
                                         config.store_sync == "full");
  if (config.store.rfind("postgres://", 0) == 0 || config.store.rfind("postgresql://", 0) == 0)
    return std::make_unique<PostgresStore>(config.store);
  throw Error("store '" + config.store +
              "' is not supported: use sqlite://PATH or postgres://USER@HOST/DATABASE");
}

http::HttpHandler make_gateway_handler(GatewayState& g) {
  return [&g](const http::HttpRequest& req, http::HttpResponder& res) {
    try {
      dispatch(g, req, res);
    } catch (const ApiError& e) {
      // Anthropic's clients read errors in the Messages shape.
      res.send(e.status, "application/json",
               req.path.starts_with("/v1/messages") ? api::messages_error_json(e) : e.to_json());
    }
  };
}

Gateway::Gateway(GatewayConfig config, std::unique_ptr<Store> store, GatewayClock clock)
    : state_(std::move(config), std::move(store), std::move(clock)) {
  http::HttpOptions http;
  http.host = state_.config().host;
  http.port = static_cast<uint16_t>(state_.config().port);
  http.admit = [this](const http::HttpRequest& head) { admit(state_, head); };
  server_ = std::make_unique<http::HttpServer>(http, make_gateway_handler(state_));
  if (state_.instance().empty()) {
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    state_.set_instance(std::string(host) + ":" + std::to_string(server_->port()));
  }
  // Before the first request is served: what a predecessor under this name left open is closed.
  sweeper_ = std::make_unique<ReservationSweeper>(state_.store(), state_.config().ledger,
                                                  state_.clock(), state_.instance());
}

Gateway::~Gateway() {
  stop();
}

void Gateway::stop() {
  server_->stop();
  server_->close_connections();
}

int run_gateway(const std::string& config_path, const std::optional<std::string>& host,
                const std::optional<int>& port, const std::string& catalog_path,
                const std::optional<std::string>& reports_dir) {
  const sigset_t signals = block_shutdown_signals();

  GatewayConfig config = load_gateway_config(config_path);
  apply_catalogue(config, load_catalogue(catalog_path), process_env());
  if (host) config.host = *host;
  if (port) config.port = *port;
  if (reports_dir) config.reports_dir = *reports_dir;
  if (config.admin_key.empty())
    std::fprintf(stderr, "junction gateway: no admin_key in %s: the admin API is off\n",
                 config_path.c_str());
  std::string pepper_warning;
  config.key_pepper = resolve_key_pepper(config, pepper_warning);
  if (!pepper_warning.empty())
    std::fprintf(stderr, "junction gateway: %s\n", pepper_warning.c_str());
  auto store = open_store(config);
  // Local engines first: the gateway listens once every model it routes to is loaded.
  char self[4096];
  const ssize_t n_self = readlink("/proc/self/exe", self, sizeof self - 1);
  const auto local_engines =
      start_local_engines(config, n_self > 0 ? std::string(self, n_self) : "junction");
  const size_t n_models = config.models.size(), n_providers = config.providers.size();
  const std::string listen_host = config.host;
  Gateway gateway(std::move(config), std::move(store));
  std::fprintf(stderr,
               "junction gateway: %zu models over %zu providers, store %s\n"
               "junction gateway: listening on http://%s:%u\n",
               n_models, n_providers,
               PostgresPool::redacted(gateway.state().config().store).c_str(), listen_host.c_str(),
               gateway.port());
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "junction gateway: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    gateway.stop();
  });
  gateway.run();
  signal_thread.join();
  std::fprintf(stderr, "junction gateway: stopped\n");
  return 0;
}

}  // namespace junction::gateway
