// The unified endpoint: one HTTP listener (http/http_server.h) in front of every configured
// model. Routes: /v1/chat/completions, /v1/completions, /v1/models, /v1/generation (client
// keys), /admin/... and /metrics (the admin key; failed attempts limited per peer), /health
// (open). `junction serve --config` calls run_gateway(); tests build a Gateway directly on
// port 0.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gateway/gateway_state.h"
#include "gateway/reservation_sweeper.h"
#include "http/http_server.h"

namespace junction::gateway {

// The store a config names (sqlite://PATH).
std::unique_ptr<Store> open_store(const GatewayConfig& config);

http::HttpHandler make_gateway_handler(GatewayState& g);

class Gateway {
 public:
  Gateway(GatewayConfig config, std::unique_ptr<Store> store,
          GatewayClock clock = GatewayClock::system());
  ~Gateway();

  uint16_t port() const { return server_->port(); }
  GatewayState& state() { return state_; }
  // Serves until stop(); call from one thread.
  void run() { server_->run(); }
  void stop();

 private:
  GatewayState state_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<ReservationSweeper> sweeper_;
};

// Loads the config, fills in its catalogue providers (catalogue_config.h) from the catalogue at
// `catalog_path` (empty: the built-in one), serves until SIGTERM/SIGINT, returns the exit code.
// host/port override the config's `listen` and reports_dir its `reports_dir` when set.
int run_gateway(const std::string& config_path, const std::optional<std::string>& host,
                const std::optional<int>& port, const std::string& catalog_path = "",
                const std::optional<std::string>& reports_dir = std::nullopt);

}  // namespace junction::gateway
