#include "gateway/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

namespace junction::gateway {
namespace {

// Reads one YAML document, checking types and unknown keys, with FILE:LINE on every error.
class Reader {
 public:
  Reader(std::string source, const EnvLookup& env) : source_(std::move(source)), env_(env) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const {
    throw Error(source_ + ":" + std::to_string(at.Mark().line + 1) + ": " + what);
  }

  int line(const YAML::Node& n) const { return n.Mark().line + 1; }

  void expect_map(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) fail(n, what + " must be a mapping");
  }

  void only_keys(const YAML::Node& n, const std::set<std::string>& allowed,
                 const std::string& what) const {
    for (const auto& kv : n) {
      // YAML allows any node as a key; as<std::string>() on a list would throw yaml-cpp's own
      // exception, which no caller expects.
      if (!kv.first.IsScalar())
        fail(kv.first, "a key in " + what + " must be text, not a list or a mapping");
      const std::string key = kv.first.Scalar();
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(kv.first, "unknown key '" + key + "' in " + what + " (known: " + list + ")");
      }
    }
  }

  std::string str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, "'" + key + "' must be a string");
    try {
      return expand_env(n.Scalar(), env_);
    } catch (const Error& e) {
      fail(n, "'" + key + "': " + e.what());
    }
  }

  double number(const YAML::Node& n, const std::string& key) const {
    const std::string s = str(n, key);
    try {
      size_t used = 0;
      const double v = std::stod(s, &used);
      if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    fail(n, "'" + key + "' must be a number, got '" + s + "'");
  }

  int64_t integer(const YAML::Node& n, const std::string& key, int64_t min) const {
    const double v = number(n, key);
    // Range first: casting a double outside int64 is undefined behaviour.
    if (!(v >= static_cast<double>(min) && v < 9223372036854775808.0) || v != std::floor(v))
      fail(n, "'" + key + "' must be an integer >= " + std::to_string(min));
    return static_cast<int64_t>(v);
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence()) fail(n, "'" + key + "' must be a list");
    std::vector<std::string> out;
    for (const auto& item : n) out.push_back(str(item, key));
    return out;
  }

  Price price(const YAML::Node& n) const {
    expect_map(n, "price");
    only_keys(n, {"input_per_mtok", "output_per_mtok", "cached_input_per_mtok"}, "price");
    Price p;
    if (n["input_per_mtok"]) p.input_per_mtok = number(n["input_per_mtok"], "input_per_mtok");
    if (n["output_per_mtok"]) p.output_per_mtok = number(n["output_per_mtok"], "output_per_mtok");
    if (n["cached_input_per_mtok"])
      p.cached_input_per_mtok = number(n["cached_input_per_mtok"], "cached_input_per_mtok");
    if (!std::isfinite(p.input_per_mtok) || !std::isfinite(p.output_per_mtok) ||
        !std::isfinite(p.cached_input_per_mtok))
      fail(n, "prices must be finite numbers");
    if (p.input_per_mtok < 0 || p.output_per_mtok < 0) fail(n, "prices cannot be negative");
    return p;
  }

  void listen(const YAML::Node& n, GatewayConfig& c) const {
    const std::string s = str(n, "listen");
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos) fail(n, "'listen' must be HOST:PORT, got '" + s + "'");
    c.host = s.substr(0, colon);
    try {
      c.port = std::stoi(s.substr(colon + 1));
    } catch (const std::exception&) {
      fail(n, "'listen' port must be a number, got '" + s + "'");
    }
    if (c.port < 0 || c.port > 65535) fail(n, "'listen' port out of range");
  }

  LedgerConfig ledger(const YAML::Node& n) const {
    expect_map(n, "ledger");
    only_keys(n, {"instance", "abandon_after_s", "sweep_every_s"}, "ledger");
    LedgerConfig l;
    if (n["instance"]) l.instance = str(n["instance"], "instance");
    if (n["abandon_after_s"])
      l.abandon_after_s = integer(n["abandon_after_s"], "abandon_after_s", 1);
    if (n["sweep_every_s"]) l.sweep_every_s = integer(n["sweep_every_s"], "sweep_every_s", 1);
    constexpr int64_t kTenYears = int64_t{10} * 366 * 86400;
    if (l.abandon_after_s > kTenYears || l.sweep_every_s > kTenYears)
      fail(n, "'abandon_after_s' and 'sweep_every_s' must be at most ten years");
    return l;
  }

  ResponsesConfig responses(const YAML::Node& n) const {
    expect_map(n, "responses");
    only_keys(n, {"max_bytes", "max_per_key", "max_bytes_per_key", "ttl_s"}, "responses");
    ResponsesConfig r;
    if (n["max_bytes"]) r.max_bytes = integer(n["max_bytes"], "max_bytes", 0);
    if (n["max_per_key"]) r.max_per_key = integer(n["max_per_key"], "max_per_key", 0);
    if (n["max_bytes_per_key"])
      r.max_bytes_per_key = integer(n["max_bytes_per_key"], "max_bytes_per_key", 0);
    if (n["ttl_s"]) r.ttl_s = integer(n["ttl_s"], "ttl_s", 1);
    constexpr int64_t kTenYears = int64_t{10} * 366 * 86400;
    if (r.ttl_s > kTenYears) fail(n["ttl_s"], "'ttl_s' must be at most ten years");
    // The store forgets a key's oldest responses past the budget, never the one just kept.
    if (r.max_bytes > r.max_bytes_per_key)
      fail(n, "'responses.max_bytes' cannot exceed 'max_bytes_per_key'");
    return r;
  }

  AutoRoutingConfig auto_routing(const YAML::Node& a, const std::string& where) const {
    expect_map(a, where);
    only_keys(a, {"candidates", "metric", "min_score", "within", "prefer"}, where);
    AutoRoutingConfig r;
    if (a["candidates"]) r.candidates = strings(a["candidates"], "candidates");
    if (a["metric"]) r.metric = str(a["metric"], "metric");
    if (a["min_score"]) {
      r.min_score = number(a["min_score"], "min_score");
      if (!std::isfinite(r.min_score)) fail(a["min_score"], "'min_score' must be a finite number");
    }
    if (a["within"]) {
      r.within = number(a["within"], "within");
      if (!(r.within >= 0) || !std::isfinite(r.within))
        fail(a["within"],
             "'within' must be a finite number >= 0 (a fraction of the cheapest cost)");
    }
    if (a["prefer"]) {
      r.prefer = str(a["prefer"], "prefer");
      if (r.prefer != "latency" && r.prefer != "throughput")
        fail(a["prefer"], "'prefer' must be latency or throughput");
    }
    return r;
  }

  AutoPool pool(const YAML::Node& n) const {
    only_keys(n, {"name", "auto"}, "an auto pool (a model with 'auto')");
    AutoPool p;
    p.line = line(n);
    if (!n["name"]) fail(n, "a model needs a 'name'");
    p.name = str(n["name"], "name");
    p.choice = auto_routing(n["auto"], "the auto pool '" + p.name + "'");
    if (p.choice.candidates.empty())
      fail(n["auto"], "the auto pool '" + p.name + "' needs a non-empty 'candidates' list");
    return p;
  }

  RoutingConfig routing(const YAML::Node& n) const {
    expect_map(n, "routing");
    only_keys(n,
              {"strategy", "max_attempts", "backoff_base_ms", "backoff_max_ms", "circuit_breaker",
               "quality", "auto"},
              "routing");
    RoutingConfig r;
    if (n["strategy"]) {
      r.strategy = str(n["strategy"], "strategy");
      static const std::set<std::string> known = {"weighted", "least_outstanding", "latency",
                                                  "price", "throughput"};
      if (!known.count(r.strategy))
        fail(n["strategy"], "unknown routing strategy '" + r.strategy +
                                "' (weighted, least_outstanding, latency, price, throughput)");
    }
    if (n["max_attempts"])
      r.max_attempts = static_cast<int>(integer(n["max_attempts"], "max_attempts", 1));
    if (n["backoff_base_ms"])
      r.backoff_base_ms = integer(n["backoff_base_ms"], "backoff_base_ms", 0);
    if (n["backoff_max_ms"]) r.backoff_max_ms = integer(n["backoff_max_ms"], "backoff_max_ms", 0);
    if (n["quality"]) r.quality = strings(n["quality"], "quality");
    if (const YAML::Node a = n["auto"]) r.auto_routing = auto_routing(a, "routing.auto");
    if (const YAML::Node b = n["circuit_breaker"]) {
      expect_map(b, "circuit_breaker");
      only_keys(b,
                {"consecutive_failures", "error_rate", "window", "min_requests", "open_ms",
                 "half_open_probes"},
                "circuit_breaker");
      BreakerConfig& c = r.breaker;
      if (b["consecutive_failures"])
        c.consecutive_failures =
            static_cast<int>(integer(b["consecutive_failures"], "consecutive_failures", 1));
      if (b["error_rate"]) c.error_rate = number(b["error_rate"], "error_rate");
      if (b["window"]) c.window = static_cast<int>(integer(b["window"], "window", 1));
      if (b["min_requests"])
        c.min_requests = static_cast<int>(integer(b["min_requests"], "min_requests", 1));
      if (b["open_ms"]) c.open_ms = integer(b["open_ms"], "open_ms", 0);
      if (b["half_open_probes"])
        c.half_open_probes =
            static_cast<int>(integer(b["half_open_probes"], "half_open_probes", 1));
    }
    return r;
  }

  ProviderConfig provider(const YAML::Node& n) const {
    if (n.IsScalar()) {  // `- openai`: a catalogue provider, filled in by catalogue_config.h
      ProviderConfig p;
      p.line = line(n);
      p.name = str(n, "name");
      p.from_catalogue = true;
      return p;
    }
    expect_map(n, "a provider");
    only_keys(
        n,
        {"name", "kind", "base_url", "api_key", "model_path", "serve_args", "connect_timeout_ms",
         "first_byte_timeout_ms", "stall_timeout_ms", "stream_deadline_ms", "max_event_bytes",
         "max_idle_connections", "default_max_tokens"},
        "a provider");
    ProviderConfig p;
    p.line = line(n);
    if (!n["name"]) fail(n, "a provider needs a 'name'");
    p.name = str(n["name"], "name");
    // Without a kind the name is a catalogue provider's and these keys override its entry.
    p.from_catalogue = !n["kind"];
    if (!p.from_catalogue) {
      p.kind = str(n["kind"], "kind");
      if (p.kind != "openai" && p.kind != "anthropic" && p.kind != "local")
        fail(n["kind"], "unknown provider kind '" + p.kind + "' (openai, anthropic, local)");
    }
    if (n["model_path"]) {
      if (p.kind != "local") fail(n["model_path"], "'model_path' applies to kind 'local' only");
      if (n["base_url"]) fail(n["model_path"], "give either 'model_path' or 'base_url', not both");
      p.model_path = str(n["model_path"], "model_path");
    }
    if (n["serve_args"]) {
      if (p.model_path.empty()) fail(n["serve_args"], "'serve_args' needs 'model_path'");
      if (!n["serve_args"].IsSequence())
        fail(n["serve_args"], "'serve_args' must be a list of `junction serve` flags");
      for (const auto& a : n["serve_args"]) p.serve_args.push_back(str(a, "serve_args"));
    }
    if (p.model_path.empty() && !(p.from_catalogue && !n["base_url"])) {
      if (!n["base_url"])
        fail(n, "provider '" + p.name + "' needs a 'base_url'" +
                    (p.kind == "local" ? std::string(" or a 'model_path'") : std::string()));
      p.base_url = str(n["base_url"], "base_url");
      while (!p.base_url.empty() && p.base_url.back() == '/') p.base_url.pop_back();
      if (p.base_url.rfind("http://", 0) != 0 && p.base_url.rfind("https://", 0) != 0)
        fail(n["base_url"], "'base_url' must start with http:// or https://");
    }
    if (n["api_key"]) p.api_key = str(n["api_key"], "api_key");
    if (n["connect_timeout_ms"])
      p.connect_timeout_ms = integer(n["connect_timeout_ms"], "connect_timeout_ms", 1);
    if (n["first_byte_timeout_ms"])
      p.first_byte_timeout_ms = integer(n["first_byte_timeout_ms"], "first_byte_timeout_ms", 1);
    if (n["stall_timeout_ms"])
      p.stall_timeout_ms = integer(n["stall_timeout_ms"], "stall_timeout_ms", 1);
    if (n["stream_deadline_ms"])
      p.stream_deadline_ms = integer(n["stream_deadline_ms"], "stream_deadline_ms", 1);
    if (n["max_event_bytes"]) {
      p.max_event_bytes = integer(n["max_event_bytes"], "max_event_bytes", 1024);
      if (p.max_event_bytes > (int64_t{1} << 30))
        fail(n["max_event_bytes"], "'max_event_bytes' must be at most 1 GiB");
    }
    if (n["max_idle_connections"])
      p.max_idle_connections = integer(n["max_idle_connections"], "max_idle_connections", 0);
    if (n["default_max_tokens"]) {
      if (p.kind != "anthropic" && !p.from_catalogue)
        fail(n["default_max_tokens"], "'default_max_tokens' applies to kind 'anthropic' only");
      p.default_max_tokens = integer(n["default_max_tokens"], "default_max_tokens", 1);
    }
    return p;
  }

  DeploymentConfig deployment(const YAML::Node& n) const {
    expect_map(n, "a deployment");
    only_keys(n, {"provider", "model", "weight", "price"}, "a deployment");
    DeploymentConfig d;
    if (!n["provider"]) fail(n, "a deployment needs a 'provider'");
    d.provider = str(n["provider"], "provider");
    if (n["model"]) d.model = str(n["model"], "model");
    if (n["weight"]) d.weight = number(n["weight"], "weight");
    if (d.weight < 0) fail(n["weight"], "'weight' cannot be negative");
    if (n["price"]) {
      d.has_price = true;
      d.price = price(n["price"]);
    }
    return d;
  }

  RoutedModel model(const YAML::Node& n) const {
    expect_map(n, "a model");
    only_keys(n, {"name", "aliases", "context_length", "price", "deployments", "fallbacks"},
              "a model");
    RoutedModel m;
    m.line = line(n);
    if (!n["name"]) fail(n, "a model needs a 'name'");
    m.name = str(n["name"], "name");
    if (n["aliases"]) m.aliases = strings(n["aliases"], "aliases");
    if (n["context_length"]) m.context_length = integer(n["context_length"], "context_length", 0);
    if (n["price"]) m.price = price(n["price"]);
    if (n["fallbacks"]) m.fallbacks = strings(n["fallbacks"], "fallbacks");
    const YAML::Node ds = n["deployments"];
    if (!ds || !ds.IsSequence() || ds.size() == 0)
      fail(ds ? ds : n, "model '" + m.name + "' needs a non-empty 'deployments' list");
    for (const auto& d : ds) m.deployments.push_back(deployment(d));
    return m;
  }

  GatewayConfig top(const YAML::Node& root) const {
    expect_map(root, "the configuration");
    only_keys(root,
              {"listen", "admin_key", "store", "store_sync", "key_pepper", "redis", "routing",
               "ledger", "responses", "providers", "models", "reports_dir"},
              "the configuration");
    GatewayConfig c;
    if (root["listen"]) listen(root["listen"], c);
    if (root["admin_key"]) c.admin_key = str(root["admin_key"], "admin_key");
    if (root["store"]) c.store = str(root["store"], "store");
    if (root["reports_dir"]) c.reports_dir = str(root["reports_dir"], "reports_dir");
    if (c.store.rfind("sqlite://", 0) != 0 && c.store.rfind("postgres://", 0) != 0 &&
        c.store.rfind("postgresql://", 0) != 0)
      fail(root["store"], "store '" + c.store +
                              "' is not supported: use sqlite://PATH or "
                              "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE");
    if (root["store_sync"]) {
      c.store_sync = str(root["store_sync"], "store_sync");
      if (c.store_sync != "normal" && c.store_sync != "full")
        fail(root["store_sync"], "'store_sync' must be normal or full");
    }
    if (root["key_pepper"]) {
      c.key_pepper = str(root["key_pepper"], "key_pepper");
      if (c.key_pepper.empty()) fail(root["key_pepper"], "'key_pepper' cannot be empty");
      c.key_pepper_configured = true;
    }
    if (root["redis"]) {
      c.redis = str(root["redis"], "redis");
      if (!c.redis.empty() && c.redis.rfind("redis://", 0) != 0 && c.redis.rfind("unix://", 0) != 0)
        fail(root["redis"], "'redis' must be redis://HOST:PORT or unix:///PATH/TO/SOCKET");
    }
    if (root["routing"]) c.routing = routing(root["routing"]);
    if (root["ledger"]) c.ledger = ledger(root["ledger"]);
    if (root["responses"]) c.responses = responses(root["responses"]);
    const YAML::Node ps = root["providers"];
    if (!ps || !ps.IsSequence()) fail(ps ? ps : root, "'providers' must be a list");
    std::set<std::string> provider_names;
    for (const auto& p : ps) {
      c.providers.push_back(provider(p));
      if (!provider_names.insert(c.providers.back().name).second)
        fail(p, "provider '" + c.providers.back().name + "' is defined twice");
    }
    // `models` may be left out when catalogue providers bring theirs (catalogue_config.h
    // says so when no model results).
    const YAML::Node ms = root["models"] ? root["models"] : YAML::Node(YAML::NodeType::Sequence);
    if (!ms.IsSequence()) fail(ms, "'models' must be a list");
    std::set<std::string> model_names;
    std::vector<YAML::Node> model_nodes, pool_nodes;  // for messages, as c.models and c.pools
    for (const auto& m : ms) {
      if (m.IsMap() && m["auto"]) {
        pool_nodes.push_back(m);
        AutoPool p = pool(m);
        if (p.name == "auto")
          fail(m, "'auto' is reserved for routing by quality (routing.auto), not a model name");
        if (!model_names.insert(p.name).second)
          fail(m, "model name '" + p.name + "' is used twice");
        c.pools.push_back(std::move(p));
        continue;
      }
      RoutedModel model_config = model(m);
      if (model_config.name == "auto" ||
          std::count(model_config.aliases.begin(), model_config.aliases.end(), "auto"))
        fail(m, "'auto' is reserved for routing by quality (routing.auto), not a model name");
      for (const auto& d : model_config.deployments)
        if (!provider_names.count(d.provider))
          fail(m, "model '" + model_config.name + "': unknown provider '" + d.provider + "'");
      if (!model_names.insert(model_config.name).second)
        fail(m, "model name '" + model_config.name + "' is used twice");
      for (const auto& a : model_config.aliases)
        if (!model_names.insert(a).second)
          fail(m, "alias '" + a + "' of model '" + model_config.name + "' is already a name");
      c.models.push_back(std::move(model_config));
      model_nodes.push_back(m);
    }
    const auto is_pool = [&](const std::string& name) {
      return std::any_of(c.pools.begin(), c.pools.end(),
                         [&](const AutoPool& p) { return p.name == name; });
    };
    for (size_t i = 0; i < c.pools.size(); ++i)
      for (const auto& name : c.pools[i].choice.candidates)
        if (is_pool(name))
          fail(pool_nodes[i], "the auto pool '" + c.pools[i].name + "': candidate '" + name +
                                  "' is a pool, not a model");
    for (size_t i = 0; i < c.models.size(); ++i)
      for (const auto& f : c.models[i].fallbacks)
        if (!model_names.count(f) || is_pool(f))
          fail(model_nodes[i], "model '" + c.models[i].name + "': unknown fallback '" + f + "'");
    return c;
  }

 private:
  std::string source_;
  const EnvLookup& env_;
};

}  // namespace

GatewayConfig parse_gateway_config(std::string_view yaml_text, const std::string& source,
                                   const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw Error(source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  try {
    return Reader(source, env).top(root);
  } catch (const YAML::Exception& e) {
    // A shape the reader's checks did not foresee: still an error naming the line, never
    // yaml-cpp's exception escaping to the caller.
    throw Error(source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

GatewayConfig load_gateway_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read gateway config " + path);
  std::stringstream text;
  text << in.rdbuf();
  GatewayConfig c = parse_gateway_config(text.str(), path, process_env());
  // Result files named relative to the config are found beside it, wherever serve runs.
  for (std::string& q : c.routing.quality)
    if (std::filesystem::path(q).is_relative())
      q = (std::filesystem::path(path).parent_path() / q).string();
  return c;
}

}  // namespace junction::gateway
