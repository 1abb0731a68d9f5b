#include "gateway/config.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"

namespace junction::gateway {
namespace {

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const char* kExample = R"(listen: 127.0.0.1:9090
admin_key: ${ADMIN}
store: sqlite://${DIR:-/tmp}/j.db
routing: {strategy: latency, max_attempts: 4, circuit_breaker: {consecutive_failures: 2, open_ms: 500}}
providers:
  - {name: engine-a, kind: openai, base_url: "http://127.0.0.1:9001/v1/", api_key: "${KEY_A}"}
  - {name: here, kind: local, base_url: "http://127.0.0.1:9002/v1"}
models:
  - name: deepseek-r1-0528-qwen3-8b
    aliases: [r1-8b]
    context_length: 131072
    price: {input_per_mtok: 0.05, output_per_mtok: 0.10}
    deployments:
      - {provider: engine-a, model: tiny, weight: 3}
      - {provider: here}
    fallbacks: [small]
  - name: small
    deployments: [{provider: here}]
)";

TEST(GatewayConfig, ParsesTheIssueExample) {
  const GatewayConfig c =
      parse_gateway_config(kExample, "g.yaml", env({{"ADMIN", "adm"}, {"KEY_A", "sk-a"}}));
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 9090);
  EXPECT_EQ(c.admin_key, "adm");
  EXPECT_EQ(c.store, "sqlite:///tmp/j.db");
  EXPECT_EQ(c.routing.strategy, "latency");
  EXPECT_EQ(c.routing.max_attempts, 4);
  EXPECT_EQ(c.routing.breaker.consecutive_failures, 2);
  EXPECT_EQ(c.routing.breaker.open_ms, 500);
  ASSERT_EQ(c.providers.size(), 2u);
  EXPECT_EQ(c.providers[0].base_url, "http://127.0.0.1:9001/v1");
  EXPECT_EQ(c.providers[0].api_key, "sk-a");
  EXPECT_EQ(c.providers[0].line, 6);
  ASSERT_EQ(c.models.size(), 2u);
  const RoutedModel& m = c.models[0];
  EXPECT_EQ(m.aliases, std::vector<std::string>{"r1-8b"});
  EXPECT_EQ(m.context_length, 131072);
  EXPECT_DOUBLE_EQ(m.price.input_per_mtok, 0.05);
  EXPECT_DOUBLE_EQ(m.price.output_per_mtok, 0.10);
  ASSERT_EQ(m.deployments.size(), 2u);
  EXPECT_EQ(m.deployments[0].model, "tiny");
  EXPECT_DOUBLE_EQ(m.deployments[0].weight, 3);
  EXPECT_EQ(m.deployments[1].model, "");
  EXPECT_EQ(m.fallbacks, std::vector<std::string>{"small"});
}

std::string error_of(const std::string& yaml, std::map<std::string, std::string> vars = {}) {
  try {
    parse_gateway_config(yaml, "g.yaml", env(vars));
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(GatewayConfig, LocalProvidersTakeAModelPathOrABaseUrl) {
  const std::string models = "models:\n  - {name: m, deployments: [{provider: here}]}\n";
  const GatewayConfig c = parse_gateway_config(
      "providers:\n  - {name: here, kind: local, model_path: /m.gguf, serve_args: [--parallel, "
      "'2']}\n" +
          models,
      "g.yaml", env({}));
  EXPECT_EQ(c.providers[0].model_path, "/m.gguf");
  EXPECT_EQ(c.providers[0].serve_args, (std::vector<std::string>{"--parallel", "2"}));
  EXPECT_EQ(c.providers[0].base_url, "");  // filled in when its engine starts
  EXPECT_NE(error_of("providers:\n  - {name: here, kind: local}\n" + models)
                .find("needs a 'base_url' or a 'model_path'"),
            std::string::npos);
  EXPECT_NE(error_of("providers:\n  - {name: here, kind: openai, model_path: /m}\n" + models)
                .find("applies to kind 'local' only"),
            std::string::npos);
  EXPECT_NE(error_of("providers:\n  - {name: here, kind: local, model_path: /m, base_url: "
                     "'http://x/v1'}\n" +
                     models)
                .find("not both"),
            std::string::npos);
}

TEST(GatewayConfig, ReportsDirIsOptional) {
  EXPECT_EQ(parse_gateway_config("providers: []\nmodels: []\n", "g.yaml", env({})).reports_dir, "");
  EXPECT_EQ(parse_gateway_config("reports_dir: /srv/reports\nproviders: []\nmodels: []\n", "g.yaml",
                                 env({}))
                .reports_dir,
            "/srv/reports");
  EXPECT_EQ(error_of("reports_dir: [a]\nproviders: []\nmodels: []\n").rfind("g.yaml:1:", 0), 0u);
}

TEST(GatewayConfig, ErrorsNameTheLine) {
  EXPECT_EQ(error_of(kExample, {{"KEY_A", "x"}}), "g.yaml:2: 'admin_key': ${ADMIN} is not set");
  EXPECT_EQ(
      error_of("providers: []\nmodels:\n  - name: m\n    deployments:\n      - {provider: nope}\n"),
      "g.yaml:3: model 'm': unknown provider 'nope'");
  EXPECT_EQ(error_of("listen: 1.2.3.4:80\nbogus: 1\nproviders: []\nmodels: []\n"),
            "g.yaml:2: unknown key 'bogus' in the configuration (known: admin_key, key_pepper, "
            "ledger, listen, models, providers, redis, reports_dir, responses, routing, store, "
            "store_sync)");
  EXPECT_EQ(error_of("ledger: {abandon_after_s: 0}\nproviders: []\nmodels: []\n"),
            "g.yaml:1: 'abandon_after_s' must be an integer >= 1");
  EXPECT_EQ(error_of("ledger: {abandon_after_s: 1e300}\nproviders: []\nmodels: []\n"),
            "g.yaml:1: 'abandon_after_s' must be an integer >= 1");
  EXPECT_EQ(error_of("providers:\n  - {name: a, kind: openai, base_url: ftp://x}\nmodels: []\n"),
            "g.yaml:2: 'base_url' must start with http:// or https://");
  EXPECT_EQ(error_of("routing: {strategy: fastest}\nproviders: []\nmodels: []\n"),
            "g.yaml:1: unknown routing strategy 'fastest' (weighted, least_outstanding, latency, "
            "price, throughput)");
  EXPECT_EQ(error_of("providers:\n  - {name: a, kind: openai, base_url: 'http://x'}\nmodels:\n"
                     "  - name: m\n    deployments: [{provider: a}]\n    fallbacks: [zzz]\n"),
            "g.yaml:4: model 'm': unknown fallback 'zzz'");
  EXPECT_EQ(error_of("providers:\n  - {name: a, kind: openai, base_url: 'http://x'}\nmodels:\n"
                     "  - name: m\n    context_length: lots\n    deployments: [{provider: a}]\n"),
            "g.yaml:5: 'context_length' must be a number, got 'lots'");
  EXPECT_NE(error_of("providers: [\n").find("g.yaml:"), std::string::npos);
  EXPECT_EQ(error_of("store: mysql://u@h/db\nproviders: []\nmodels: []\n"),
            "g.yaml:1: store 'mysql://u@h/db' is not supported: use sqlite://PATH or "
            "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE");
}

// A mapping key must be text: a list or a mapping as a key threw yaml-cpp's own conversion
// error, which nothing above the parser expects (found by gateway_config_fuzz).
TEST(GatewayConfig, KeysThatAreNotTextAreErrorsNamingTheLine) {
  EXPECT_EQ(error_of("providers:\n  - {name: here, kind: local,  [{provider: here}]}\n"),
            "g.yaml:2: a key in a provider must be text, not a list or a mapping");
  EXPECT_EQ(error_of("? [a, b]\n: 1\nproviders: []\nmodels: []\n"),
            "g.yaml:1: a key in the configuration must be text, not a list or a mapping");
  EXPECT_EQ(error_of("providers: []\nmodels:\n  - name: m\n    ? {x: 1}\n    : 2\n"),
            "g.yaml:4: a key in a model must be text, not a list or a mapping");
}

TEST(GatewayConfig, QualityFilesAndAutoRouting) {
  const GatewayConfig c = parse_gateway_config(
      "routing:\n  quality: [a.json, /r/b.json]\n"
      "  auto: {candidates: [m], metric: mmlu/acc, min_score: 0.6}\n"
      "providers:\n  - {name: a, kind: openai, base_url: 'http://x'}\n"
      "models:\n  - name: m\n    deployments: [{provider: a}]\n",
      "g.yaml", env({}));
  EXPECT_EQ(c.routing.quality, (std::vector<std::string>{"a.json", "/r/b.json"}));
  EXPECT_EQ(c.routing.auto_routing.candidates, (std::vector<std::string>{"m"}));
  EXPECT_EQ(c.routing.auto_routing.metric, "mmlu/acc");
  EXPECT_EQ(c.routing.auto_routing.min_score, 0.6);
  EXPECT_EQ(error_of("routing: {auto: {min_score: nan}}\nproviders: []\nmodels: []\n"),
            "g.yaml:1: 'min_score' must be a finite number");
  EXPECT_EQ(error_of("routing: {auto: {bar: 1}}\nproviders: []\nmodels: []\n"),
            "g.yaml:1: unknown key 'bar' in routing.auto (known: candidates, metric, min_score, "
            "prefer, within)");
  EXPECT_EQ(error_of("providers:\n  - {name: a, kind: openai, base_url: 'http://x'}\nmodels:\n"
                     "  - name: auto\n    deployments: [{provider: a}]\n"),
            "g.yaml:4: 'auto' is reserved for routing by quality (routing.auto), not a model name");
}

// A `models:` entry with `auto:` is a named pool (config.h), not a model.
TEST(GatewayConfig, AutoPools) {
  const char* head =
      "providers:\n  - {name: a, kind: openai, base_url: 'http://x'}\n"
      "models:\n  - name: m\n    deployments: [{provider: a}]\n"
      "  - name: n\n    deployments: [{provider: a}]\n";
  const GatewayConfig c = parse_gateway_config(
      std::string(head) +
          "  - name: fast\n    auto: {candidates: [m, n], metric: mmlu, min_score: 0.6, "
          "within: 0.25, prefer: throughput}\n",
      "g.yaml", env({}));
  ASSERT_EQ(c.models.size(), 2u);
  ASSERT_EQ(c.pools.size(), 1u);
  EXPECT_EQ(c.pools[0].name, "fast");
  EXPECT_EQ(c.pools[0].choice.candidates, (std::vector<std::string>{"m", "n"}));
  EXPECT_EQ(c.pools[0].choice.metric, "mmlu");
  EXPECT_EQ(c.pools[0].choice.min_score, 0.6);
  EXPECT_EQ(c.pools[0].choice.within, 0.25);
  EXPECT_EQ(c.pools[0].choice.prefer, "throughput");
  const auto pool_error = [&](const std::string& pool) {
    return error_of(std::string(head) + pool);
  };
  EXPECT_EQ(pool_error("  - name: p\n    auto: {candidates: [m], within: -1}\n"),
            "g.yaml:9: 'within' must be a finite number >= 0 (a fraction of the cheapest cost)");
  EXPECT_EQ(pool_error("  - name: p\n    auto: {candidates: [m], within: inf}\n"),
            "g.yaml:9: 'within' must be a finite number >= 0 (a fraction of the cheapest cost)");
  EXPECT_EQ(pool_error("  - name: p\n    auto: {candidates: [m], prefer: cost}\n"),
            "g.yaml:9: 'prefer' must be latency or throughput");
  EXPECT_EQ(pool_error("  - name: p\n    auto: {metric: mmlu}\n"),
            "g.yaml:9: the auto pool 'p' needs a non-empty 'candidates' list");
  EXPECT_EQ(pool_error("  - name: m\n    auto: {candidates: [n]}\n"),
            "g.yaml:8: model name 'm' is used twice");
  EXPECT_EQ(pool_error("  - name: auto\n    auto: {candidates: [n]}\n"),
            "g.yaml:8: 'auto' is reserved for routing by quality (routing.auto), not a model name");
  EXPECT_EQ(pool_error("  - name: p\n    auto: {candidates: [q]}\n"
                       "  - name: q\n    auto: {candidates: [m]}\n"),
            "g.yaml:8: the auto pool 'p': candidate 'q' is a pool, not a model");
  EXPECT_EQ(
      pool_error("  - name: p\n    deployments: [{provider: a}]\n    auto: {candidates: [m]}\n"),
      "g.yaml:9: unknown key 'deployments' in an auto pool (a model with 'auto') (known: "
      "auto, name)");
}

TEST(GatewayConfig, ResponsesRetention) {
  const char* tail = "providers: []\nmodels: []\n";
  const GatewayConfig d = parse_gateway_config(tail, "g.yaml", env({}));
  EXPECT_EQ(d.responses.max_bytes, 4 << 20);
  EXPECT_EQ(d.responses.max_per_key, 1000);
  EXPECT_EQ(d.responses.ttl_s, 30 * 86400);
  const GatewayConfig c = parse_gateway_config(
      std::string("responses: {max_bytes: 1000, max_per_key: 5, max_bytes_per_key: 4000, "
                  "ttl_s: 60}\n") +
          tail,
      "g.yaml", env({}));
  EXPECT_EQ(c.responses.max_bytes, 1000);
  EXPECT_EQ(c.responses.max_per_key, 5);
  EXPECT_EQ(c.responses.max_bytes_per_key, 4000);
  EXPECT_EQ(c.responses.ttl_s, 60);
  EXPECT_EQ(error_of(std::string("responses: {max_bytes: 5000, max_bytes_per_key: 4000}\n") + tail),
            "g.yaml:1: 'responses.max_bytes' cannot exceed 'max_bytes_per_key'");
  EXPECT_EQ(error_of(std::string("responses: {ttl_s: 0}\n") + tail),
            "g.yaml:1: 'ttl_s' must be an integer >= 1");
  EXPECT_EQ(error_of(std::string("responses: {keep: 1}\n") + tail),
            "g.yaml:1: unknown key 'keep' in responses (known: max_bytes, "
            "max_bytes_per_key, max_per_key, ttl_s)");
}

TEST(GatewayConfig, PricesMustBeFinite) {
  for (const char* bad : {"nan", "inf", "-inf", "NAN", "1e400"}) {
    const std::string yaml =
        "providers:\n  - {name: a, kind: openai, base_url: 'http://x'}\nmodels:\n"
        "  - name: m\n    price: {input_per_mtok: 1, output_per_mtok: " +
        std::string(bad) + "}\n    deployments: [{provider: a}]\n";
    EXPECT_NE(error_of(yaml).find("g.yaml:5:"), std::string::npos) << bad << ": " << error_of(yaml);
  }
  EXPECT_EQ(error_of("providers:\n  - {name: a, kind: openai, base_url: 'http://x'}\nmodels:\n"
                     "  - name: m\n    price: {cached_input_per_mtok: nan}\n"
                     "    deployments: [{provider: a}]\n"),
            "g.yaml:5: prices must be finite numbers");
}

TEST(GatewayConfig, PostgresStoreUrlIsKeptAsWritten) {
  const EnvLookup e = env({{"PGPASS", "s3cret"}});
  const GatewayConfig c = parse_gateway_config(
      "store: postgres://gw:${PGPASS}@db.local:5433/junction\nproviders: []\nmodels: []\n",
      "g.yaml", e);
  EXPECT_EQ(c.store, "postgres://gw:s3cret@db.local:5433/junction");
  EXPECT_EQ(
      parse_gateway_config("store: postgresql://h/db\nproviders: []\nmodels: []\n", "g.yaml", e)
          .store,
      "postgresql://h/db");
}

TEST(GatewayConfig, UpstreamTimeoutsPoolAndRedis) {
  const GatewayConfig c = parse_gateway_config(
      "redis: redis://127.0.0.1:6390\nproviders:\n  - {name: a, kind: openai, base_url: "
      "'http://x', connect_timeout_ms: 100, first_byte_timeout_ms: 200, stall_timeout_ms: 300, "
      "max_idle_connections: 0}\nmodels: []\n",
      "g.yaml", env({}));
  EXPECT_EQ(c.redis, "redis://127.0.0.1:6390");
  EXPECT_EQ(c.providers[0].connect_timeout_ms, 100);
  EXPECT_EQ(c.providers[0].first_byte_timeout_ms, 200);
  EXPECT_EQ(c.providers[0].stall_timeout_ms, 300);
  EXPECT_EQ(c.providers[0].max_idle_connections, 0);
  EXPECT_EQ(error_of("redis: 127.0.0.1:6379\nproviders: []\nmodels: []\n"),
            "g.yaml:1: 'redis' must be redis://HOST:PORT or unix:///PATH/TO/SOCKET");
}

TEST(GatewayConfig, AnthropicProviders) {
  const GatewayConfig c = parse_gateway_config(
      "providers:\n  - {name: claude, kind: anthropic, base_url: \"https://api.anthropic.com/\", "
      "api_key: \"${ANTHROPIC_API_KEY}\", default_max_tokens: 1024}\n"
      "  - {name: c2, kind: anthropic, base_url: \"http://127.0.0.1:1\"}\nmodels: []\n",
      "g.yaml", env({{"ANTHROPIC_API_KEY", "sk-ant"}}));
  ASSERT_EQ(c.providers.size(), 2u);
  EXPECT_EQ(c.providers[0].kind, "anthropic");
  EXPECT_EQ(c.providers[0].base_url, "https://api.anthropic.com");
  EXPECT_EQ(c.providers[0].api_key, "sk-ant");
  EXPECT_EQ(c.providers[0].default_max_tokens, 1024);
  EXPECT_EQ(c.providers[1].default_max_tokens, 4096);
  try {
    parse_gateway_config(
        "providers:\n  - {name: a, kind: openai, base_url: 'http://x', default_max_tokens: 5}\n"
        "models: []\n",
        "g.yaml", env({}));
    ADD_FAILURE() << "default_max_tokens on an openai provider was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "g.yaml:2: 'default_max_tokens' applies to kind 'anthropic' only");
  }
}

TEST(EnvExpand, DefaultsEscapesAndErrors) {
  const EnvLookup e = env({{"A", "1"}, {"EMPTY", ""}});
  EXPECT_EQ(expand_env("x${A}y", e), "x1y");
  EXPECT_EQ(expand_env("${B:-dflt}", e), "dflt");
  EXPECT_EQ(expand_env("${EMPTY:-dflt}", e), "dflt");
  EXPECT_EQ(expand_env("$$A $5", e), "$A $5");
  EXPECT_THROW(expand_env("${B}", e), Error);
  EXPECT_THROW(expand_env("${A", e), Error);
}

}  // namespace
}  // namespace junction::gateway
