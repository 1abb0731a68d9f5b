// The gateway's YAML configuration (`junction serve --config FILE`): where to listen, the admin
// key, the store, routing defaults, upstream providers and the public model catalogue. Parsed
// and validated once at start-up; every error names the file's line. `${ENV}` is expanded in
// scalar values only (see env_expand.h), never in keys or structure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/capabilities.h"
#include "gateway/env_expand.h"
#include "gateway/price.h"

namespace junction::gateway {

struct ProviderConfig {
  std::string name;
  // "openai" (any OpenAI-compatible upstream), "local" (junction at a URL) or "anthropic"
  // (the Messages API, translated: see anthropic_request.h)
  std::string kind;
  // openai/local: ".../v1", requests go to base_url + "/chat/completions"; anthropic: the
  // API root ("https://api.anthropic.com"), requests go to base_url + "/v1/messages"
  std::string base_url;
  std::string api_key;  // "Authorization: Bearer ..." (anthropic: "x-api-key: ...") when set
  // local: a model to serve in a `junction serve` child process (local_engine.h) instead of a
  // base_url, with extra serve flags
  std::string model_path;
  std::vector<std::string> serve_args;
  int64_t connect_timeout_ms = 2000;      // TCP (and TLS) connection set up
  int64_t first_byte_timeout_ms = 60000;  // request sent -> head and first body byte (token)
  int64_t stall_timeout_ms = 30000;       // once the body flows: the longest gap between bytes
  // A stream: its whole length from the request sent (an upstream that streams keep-alive
  // comments or events forever is cut there), and the longest line it may send.
  int64_t stream_deadline_ms = 30 * 60 * 1000;
  int64_t max_event_bytes = 4 << 20;
  int64_t max_idle_connections = 32;  // kept-alive connections to this upstream; 0: none
  // anthropic: max_tokens sent when a request has none (the Messages API requires it), capped
  // by what the gateway reserved for the request
  int64_t default_max_tokens = 4096;
  int line = 0;  // 1-based line in the config file
  // Named without a kind (`providers: [openai]` or `{name: openai, ...}`): the catalogue's
  // provider of that name, which apply_catalogue() (catalogue_config.h) fills in.
  bool from_catalogue = false;
};

struct DeploymentConfig {
  std::string provider;  // a ProviderConfig::name
  std::string model;     // the upstream's model name; empty: the public name
  double weight = 1;     // for strategy "weighted"
  bool has_price = false;
  Price price;  // overrides the model's price for this deployment (what this upstream costs)
  // Of the upstream model, from the catalogue when it lists it; unknown otherwise (then the
  // router sends it any request).
  Capabilities capabilities;
};

// A model name clients ask for (not the engine's ModelConfig, which is a config.json): its
// aliases, price, the deployments that serve it and the models to fall back to.
struct RoutedModel {
  std::string name;
  std::vector<std::string> aliases;
  int64_t context_length = 0;     // tokens; 0: unknown
  int64_t max_output_tokens = 0;  // tokens; 0: unknown
  Price price;                    // what a key is charged
  std::vector<DeploymentConfig> deployments;
  std::vector<std::string> fallbacks;  // other model names tried when every deployment failed
  int line = 0;
};

struct BreakerConfig {
  int consecutive_failures = 5;
  double error_rate = 0.5;  // fraction of failures over the last `window` outcomes
  int window = 20;
  int min_requests = 10;  // outcomes needed before the rate counts
  int64_t open_ms = 10000;
  int half_open_probes = 1;
};

// `model: "auto"` (quality_router.h): the models it chooses among and the default bar, which a
// request's `quality: {metric, min_score}` replaces.
struct AutoRoutingConfig {
  std::vector<std::string> candidates;  // model names; empty: every configured model
  std::string metric;                   // "TASK" or "TASK/METRIC"; empty: the request must say
  double min_score = 0;
  // The cost band in which the live measure decides (quality_router.h); 0: the cheapest.
  double within = 0;
  std::string prefer = "latency";  // latency | throughput
};

// A named `auto` pool: a `models:` entry with `auto:` instead of `deployments:`. A request for
// its name is routed like `model: "auto"` among its candidates with its own bar; a key allowed
// the pool may use its candidates through it.
struct AutoPool {
  std::string name;
  AutoRoutingConfig choice;
  int line = 0;
};

struct RoutingConfig {
  std::string strategy =
      "least_outstanding";  // weighted | least_outstanding | latency | price | throughput
  int max_attempts = 3;     // deployments tried per request, fallbacks included
  int64_t backoff_base_ms = 20;
  int64_t backoff_max_ms = 500;
  BreakerConfig breaker;
  // `junction eval` result files (quality_scores.h); relative paths are taken from the config
  // file's folder by load_gateway_config.
  std::vector<std::string> quality;
  AutoRoutingConfig auto_routing;  // `auto:` in YAML
};

// How reservations that nothing settled are found and closed (store.h abandon_reservations).
struct LedgerConfig {
  // This gateway's name in the reservations it takes; when it starts again under the same
  // name, its predecessor's open reservations are closed at once (that process is gone).
  // Replicas sharing a database need names of their own. Empty: "HOSTNAME:PORT".
  std::string instance;
  // Any open reservation older than this is closed, whichever gateway took it (a replica that
  // died and never came back). Longer than any request may run.
  int64_t abandon_after_s = 6 * 3600;
  int64_t sweep_every_s = 60;
};

// What the gateway keeps of Responses API answers for previous_response_id (`responses:` in
// YAML; the store's responses table). A client's conversation must not be able to fill the
// database: one response's conversation is at most max_bytes (a longer one is not kept, and
// continuing it is the 400 of an unknown id), a key keeps its newest max_per_key responses
// within max_bytes_per_key, and none outlives ttl_s (OpenAI keeps responses 30 days).
struct ResponsesConfig {
  int64_t max_bytes = int64_t{4} << 20;
  int64_t max_per_key = 1000;
  int64_t max_bytes_per_key = int64_t{64} << 20;
  int64_t ttl_s = int64_t{30} * 86400;
};

struct GatewayConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string admin_key;
  // Published at /reports/ with the web interface (web/report_files.h); empty: none.
  std::string reports_dir;
  std::string store = "sqlite://junction.db";  // or postgres://USER[:PASS]@HOST[:PORT]/DB
  std::string store_sync =
      "normal";  // sqlite: "normal" survives process crashes, "full" power loss
  // Mixed into every key hash. Unless the config sets one, run_gateway() replaces this public
  // default with a random pepper kept beside a new SQLite database (gateway/key_pepper.h).
  std::string key_pepper = "junction-gateway";
  bool key_pepper_configured = false;  // the config file set key_pepper
  // redis://HOST:PORT or unix:///PATH: rpm/tpm limits shared by every gateway using the same
  // Redis (rate_limiter_redis.h); empty: limits per process.
  std::string redis;
  RoutingConfig routing;
  LedgerConfig ledger;
  ResponsesConfig responses;
  std::vector<ProviderConfig> providers;
  std::vector<RoutedModel> models;
  std::vector<AutoPool> pools;  // `models:` entries with `auto:`
};

// Throws junction::Error("FILE:LINE: what") for anything invalid. `source` names the file.
GatewayConfig parse_gateway_config(std::string_view yaml_text, const std::string& source,
                                   const EnvLookup& env);
GatewayConfig load_gateway_config(const std::string& path);

}  // namespace junction::gateway
