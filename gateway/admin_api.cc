#include "gateway/admin_api.h"

#include <nlohmann/json.hpp>

#include "gateway/key_hash.h"
#include "gateway/public_api.h"
#include "http/api_error.h"
#include "http/json_body.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::ordered_json;
using http::ApiError;
using http::invalid_param;

Json key_json(const ApiKeyRecord& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"credits", nano_to_usd(k.credits)},
          {"rpm", k.rpm},
          {"tpm", k.tpm},
          {"daily_limit", nano_to_usd(k.daily_limit)},
          {"monthly_limit", nano_to_usd(k.monthly_limit)},
          {"models", k.models},
          {"disabled", k.disabled},
          {"created_ms", k.created_ms}};
}

Json parse_body(const http::HttpRequest& req) {
  Json j = http::parse_json_body<Json>(req.body.empty() ? "{}" : req.body);
  if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return j;
}

double number(const Json& j, const char* field, double fallback) {
  if (!j.contains(field) || j[field].is_null()) return fallback;
  if (!j[field].is_number())
    throw invalid_param(field, std::string("'") + field + "' must be a number");
  return j[field].get<double>();
}

// A per-minute count (rpm, tpm), 0 to 1e15, fractions dropped; a 400 naming the field outside
// it (a double past int64 would be undefined to convert).
int64_t count(const Json& j, const char* field, int64_t fallback) {
  const double v = number(j, field, static_cast<double>(fallback));
  if (!(v >= 0 && v <= 1e15))
    throw invalid_param(field, std::string("'") + field + "' must be from 0 to 1e15");
  return static_cast<int64_t>(v);
}

// An amount in USD as int64 nano-USD; a 400 for one outside it (about +-9.2e9 USD).
NanoUsd money(const Json& j, const char* field) {
  const auto nano = usd_to_nano_checked(number(j, field, 0));
  if (!nano)
    throw invalid_param(field, std::string("'") + field + "' is out of range (USD, at most 9e9)");
  return *nano;
}

void create_key(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res) {
  const Json body = parse_body(req);
  ApiKeyRecord k;
  k.id = "key_" + random_hex(8);
  k.name = body.value("name", "");
  k.credits = money(body, "credits");
  k.rpm = count(body, "rpm", 0);
  k.tpm = count(body, "tpm", 0);
  k.daily_limit = money(body, "daily_limit");
  k.monthly_limit = money(body, "monthly_limit");
  if (k.credits < 0 || k.rpm < 0 || k.tpm < 0 || k.daily_limit < 0 || k.monthly_limit < 0)
    throw ApiError(400, "credits, rpm, tpm, daily_limit and monthly_limit cannot be negative");
  if (body.contains("models")) {
    if (!body["models"].is_array()) throw invalid_param("models", "'models' must be a list");
    for (const auto& m : body["models"]) {
      if (!m.is_string()) throw invalid_param("models", "'models' must be a list of names");
      const RoutedModel* model = g.find_model(m.get<std::string>());
      if (const AutoPool* pool = model ? nullptr : g.find_pool(m.get<std::string>())) {
        k.models.push_back(pool->name);  // its candidates, through it (completion_proxy.cc)
        continue;
      }
      if (!model) throw invalid_param("models", "unknown model '" + m.get<std::string>() + "'");
      k.models.push_back(model->name);
    }
  }
  k.created_ms = g.clock().unix_ms();
  const std::string key = new_api_key();
  g.store().create_key(k, hash_api_key(g.config().key_pepper, key));
  Json out = key_json(k);
  out["key"] = key;
  res.send(201, "application/json", out.dump());
}

// The limits a body names change; the others keep their value. Two admins changing the same
// key at once: the later write wins whole (no field-level merge).
void set_limits(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                const std::string& id) {
  const Json body = parse_body(req);
  auto k = g.store().key_by_id(id);
  if (!k) throw ApiError(404, "No key '" + id + "'", "invalid_request_error", "", "not_found");
  k->rpm = count(body, "rpm", k->rpm);
  k->tpm = count(body, "tpm", k->tpm);
  if (body.contains("daily_limit")) k->daily_limit = money(body, "daily_limit");
  if (body.contains("monthly_limit")) k->monthly_limit = money(body, "monthly_limit");
  if (k->daily_limit < 0 || k->monthly_limit < 0)
    throw ApiError(400, "daily_limit and monthly_limit cannot be negative");
  if (!g.store().set_key_limits(*k))
    throw ApiError(404, "No key '" + id + "'", "invalid_request_error", "", "not_found");
  g.keys().clear();  // this process applies the new limits at once, not a second later
  res.send(200, "application/json", key_json(*k).dump());
}

void providers(GatewayState& g, http::HttpResponder& res) {
  const int64_t now = g.clock().monotonic_ms();
  Json list = Json::array();
  for (const Deployment& d : g.deployments()) {
    const HealthSnapshot h = d.health->snapshot(now);
    list.push_back({{"provider", d.provider->name},
                    {"kind", d.provider->kind},
                    {"base_url", d.provider->base_url},
                    {"model", d.model->name},
                    {"upstream_model", d.upstream_model},
                    {"outstanding", h.outstanding},
                    {"latency_ms", h.latency_ms < 0 ? Json() : Json(h.latency_ms)},
                    {"tokens_per_s", h.tokens_per_s < 0 ? Json() : Json(h.tokens_per_s)},
                    {"successes", h.n_success},
                    {"failures", h.n_failure},
                    {"circuit", to_string(h.breaker)},
                    {"healthy", h.available}});
  }
  res.send(200, "application/json", Json{{"data", list}}.dump());
}

}  // namespace

std::string audit_json(const std::vector<KeyAudit>& keys) {
  Json list = Json::array();
  int64_t drifting = 0, open = 0;
  for (const KeyAudit& a : keys) {
    const bool ok = a.drift && *a.drift == 0;
    drifting += !ok;
    open += a.open_reservations;
    list.push_back({{"key_id", a.key_id},
                    {"granted_nano", a.granted},
                    {"balance_nano", a.balance},
                    {"settled_nano", a.settled},
                    {"reserved_nano", a.reserved},
                    {"open_reservations", a.open_reservations},
                    {"oldest_reservation_ms",
                     a.oldest_reservation_ms ? Json(a.oldest_reservation_ms) : Json()},
                    {"drift_nano", a.drift ? Json(*a.drift) : Json()},
                    {"ok", ok}});
  }
  return Json{{"ok", drifting == 0},
              {"keys_checked", keys.size()},
              {"keys_drifting", drifting},
              {"open_reservations", open},
              {"rule", "granted - balance = settled + reserved, per key"},
              {"data", list}}
      .dump();
}

void handle_admin(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res) {
  const std::string& p = req.path;
  if (p == "/admin/keys" && req.method == "POST") return create_key(g, req, res);
  if (p == "/admin/keys" && req.method == "GET") {
    // The dashboard's key table: newest first, bounded (a store may hold millions).
    const std::string limit = query_param(req.query, "limit");
    int64_t n = 500;
    try {
      if (!limit.empty()) n = std::stoll(limit);
    } catch (const std::exception&) {
      throw invalid_param("limit", "'limit' must be an integer");
    }
    if (n < 1 || n > 10000) throw invalid_param("limit", "'limit' must be between 1 and 10000");
    Json data = Json::array();
    for (const ApiKeyRecord& k : g.store().list_keys(n)) data.push_back(key_json(k));
    return res.send(200, "application/json", Json{{"data", data}}.dump());
  }
  if (p == "/admin/providers" && req.method == "GET") return providers(g, res);
  if (p == "/admin/audit" && req.method == "GET")
    return res.send(200, "application/json", audit_json(g.store().audit()));
  if (p == "/admin/usage" && req.method == "GET") {
    const std::string since = query_param(req.query, "since");
    const std::string limit = query_param(req.query, "limit");
    int64_t since_ms = 0, n = 1000;
    try {
      if (!since.empty()) since_ms = std::stoll(since);
      if (!limit.empty()) n = std::stoll(limit);
    } catch (const std::exception&) {
      throw ApiError(400, "'since' and 'limit' must be integers");
    }
    // Bounded: every record is held in memory to be written out.
    if (n < 1 || n > 100000) throw invalid_param("limit", "'limit' must be from 1 to 100000");
    const std::string order = query_param(req.query, "order");
    if (!order.empty() && order != "oldest" && order != "newest")
      throw invalid_param("order", "'order' must be oldest or newest");
    const std::string key_id = query_param(req.query, "key_id");
    Json data = Json::array();
    for (const auto& u : order == "newest" ? g.store().recent_usage(key_id, since_ms, n)
                                           : g.store().usage(key_id, since_ms, n))
      data.push_back(Json::parse(usage_json(u)));
    return res.send(200, "application/json", Json{{"data", data}}.dump());
  }
  const std::string prefix = "/admin/keys/";
  if (p.rfind(prefix, 0) == 0) {
    std::string rest = p.substr(prefix.size());
    if (rest.size() > 7 && rest.ends_with("/limits") && req.method == "POST")
      return set_limits(g, req, res, rest.substr(0, rest.size() - 7));
    const bool credits = rest.size() > 8 && rest.ends_with("/credits");
    if (credits) rest.resize(rest.size() - 8);
    if (credits && req.method == "POST") {
      const Json body = parse_body(req);
      if (!body.contains("amount") || !body["amount"].is_number())
        throw invalid_param("amount", "'amount' (USD) is required");
      // An Idempotency-Key makes a retried top-up (the answer was lost) apply once.
      const std::string idempotency = req.header("idempotency-key");
      if (idempotency.size() > 200)
        throw ApiError(400, "Idempotency-Key is longer than 200 characters");
      CreditGrant grant;
      grant.key_id = rest;
      grant.id = idempotency.empty() ? "grant-" + random_hex(12) : rest + ":" + idempotency;
      grant.amount = money(body, "amount");
      grant.created_ms = g.clock().unix_ms();
      grant.note = body.contains("note") && body["note"].is_string()
                       ? body["note"].get<std::string>().substr(0, 500)
                       : "top-up";
      NanoUsd balance = 0;
      const GrantResult result = g.store().add_credits(grant, &balance);
      g.keys().clear();
      if (result == GrantResult::kNoSuchKey)
        throw ApiError(404, "No key '" + rest + "'", "invalid_request_error", "", "not_found");
      if (result == GrantResult::kOverflow)
        throw invalid_param("amount",
                            "the balance would leave the gateway's money range (int64 "
                            "nano-USD, about 9.2e9 USD)");
      return res.send(
          200, "application/json",
          Json{{"id", rest}, {"credits", nano_to_usd(balance)}, {"grant_id", grant.id}}.dump());
    }
    if (!credits && req.method == "GET") {
      const auto k = g.store().key_by_id(rest);
      if (!k)
        throw ApiError(404, "No key '" + rest + "'", "invalid_request_error", "", "not_found");
      return res.send(200, "application/json", key_json(*k).dump());
    }
    if (!credits && req.method == "DELETE") {
      const bool disabled = g.store().disable_key(rest);
      g.keys().clear();  // this process refuses the key from now on, not a second later
      if (!disabled)
        throw ApiError(404, "No key '" + rest + "'", "invalid_request_error", "", "not_found");
      return res.send(200, "application/json", Json{{"id", rest}, {"deleted", true}}.dump());
    }
  }
  throw ApiError(404, "No admin route " + req.method + " " + p, "invalid_request_error", "",
                 "not_found");
}

}  // namespace junction::gateway
