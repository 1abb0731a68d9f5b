// `junction admin audit --config gateway.yaml` (or `--store URL`): the money ledger checked from
// the database alone, without a running gateway (store.h): for every key, granted - balance =
// settled + reserved. Prints GET /admin/audit's JSON; exits 1 when any key drifts, so a cron job
// or CI step can alarm on it. `--abandon-older-than S` first closes reservations older than S
// seconds (refunded in full, recorded as abandoned), as the gateway's sweep does.
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "gateway/admin_api.h"
#include "gateway/config.h"
#include "gateway/gateway.h"

namespace junction::cli {
namespace {

struct AdminArgs {
  std::string config;
  std::string store;
  int64_t abandon_older_than_s = -1;
};

int run_audit(const AdminArgs& a) {
  gateway::GatewayConfig config;
  if (!a.config.empty()) config = gateway::load_gateway_config(a.config);
  if (!a.store.empty()) config.store = a.store;
  if (a.config.empty() && a.store.empty())
    throw Error("admin audit: say which database: --config gateway.yaml or --store URL");
  const auto store = gateway::open_store(config);
  if (a.abandon_older_than_s >= 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const int64_t closed =
        store->abandon_reservations("", now - a.abandon_older_than_s * 1000, now);
    std::fprintf(stderr, "junction admin: closed %lld reservation(s) as abandoned\n",
                 static_cast<long long>(closed));
  }
  const std::string report = gateway::audit_json(store->audit());
  std::printf("%s\n", nlohmann::json::parse(report).dump(2).c_str());
  const bool ok = nlohmann::json::parse(report)["ok"].get<bool>();
  if (!ok)
    std::fprintf(stderr,
                 "junction admin: the ledger does not add up for some keys (drift_nano != 0): "
                 "see their lines above\n");
  return ok ? 0 : 1;
}

}  // namespace

Command add_admin_command(CLI::App& app) {
  auto args = std::make_shared<AdminArgs>();
  CLI::App* sub = app.add_subcommand("admin", "Gateway administration from its database");
  sub->require_subcommand(1);
  CLI::App* audit = sub->add_subcommand(
      "audit", "Check the money ledger per key (granted - balance = settled + reserved)");
  audit->add_option("--config", args->config, "the gateway's YAML configuration (its store)");
  audit->add_option("--store", args->store, "sqlite://PATH or postgres://... (overrides --config)");
  audit
      ->add_option("--abandon-older-than", args->abandon_older_than_s,
                   "first close open reservations older than this many seconds")
      ->check(CLI::Range(int64_t{0}, int64_t{10} * 366 * 86400));
  return {sub, [args] { return run_audit(*args); }};
}

}  // namespace junction::cli
