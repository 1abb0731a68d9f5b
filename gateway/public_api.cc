#include "gateway/public_api.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "gateway/model_listing.h"
#include "http/api_error.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::ordered_json;

Json usage_object(const UsageRecord& u) {
  return {{"id", u.request_id},
          {"key_id", u.key_id},
          {"model", u.model},
          {"provider", u.provider.empty() ? Json() : Json(u.provider)},
          {"tokens_prompt", u.tokens.prompt_tokens},
          {"tokens_completion", u.tokens.completion_tokens},
          {"tokens_reasoning", u.tokens.reasoning_tokens},
          {"tokens_cached", u.tokens.cached_tokens},
          {"total_cost", nano_to_usd(u.cost)},
          {"latency_ms", u.latency_ms},
          {"ttft_ms", u.ttft_ms < 0 ? Json() : Json(u.ttft_ms)},
          {"status", u.status},
          {"http_status", u.http_status},
          {"streamed", u.streamed},
          {"created_ms", u.created_ms}};
}

}  // namespace

std::string usage_json(const UsageRecord& u) {
  return usage_object(u).dump();
}

std::string query_param(const std::string& query, const std::string& name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string part = query.substr(pos, amp - pos);
    const size_t eq = part.find('=');
    if (part.substr(0, eq) == name) {
      const std::string raw = eq == std::string::npos ? "" : part.substr(eq + 1);
      std::string out;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          out += ' ';
        } else if (raw[i] == '%' && i + 2 < raw.size() &&
                   std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
          out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += raw[i];
        }
      }
      return out;
    }
    pos = amp + 1;
  }
  return "";
}

void handle_models(GatewayState& g, const http::HttpRequest&, http::HttpResponder& res,
                   const ApiKeyRecord& key) {
  Json data = Json::array();
  for (const RoutedModel& m : g.config().models) {
    if (!key.models.empty() &&
        std::find(key.models.begin(), key.models.end(), m.name) == key.models.end())
      continue;
    data.push_back(model_listing_entry(m));
  }
  // Named auto pools: no price or context of their own (those of the model each request gets).
  for (const AutoPool& p : g.config().pools) {
    if (!key.models.empty() &&
        std::find(key.models.begin(), key.models.end(), p.name) == key.models.end())
      continue;
    const AutoRoutingConfig& c = p.choice;
    data.push_back(Json{{"id", p.name},
                        {"object", "model"},
                        {"created", 0},
                        {"owned_by", "junction"},
                        {"name", p.name},
                        {"auto",
                         {{"candidates", c.candidates},
                          {"metric", c.metric},
                          {"min_score", c.min_score},
                          {"within", c.within},
                          {"prefer", c.prefer}}}});
  }
  res.send(200, "application/json", Json{{"object", "list"}, {"data", data}}.dump());
}

void handle_generation(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                       const ApiKeyRecord& key) {
  const std::string id = query_param(req.query, "id");
  if (id.empty()) throw http::invalid_param("id", "'id' is required", "missing_required_parameter");
  const auto u = g.store().usage_by_request(id);
  if (!u || u->key_id != key.id)
    throw http::ApiError(404, "No generation '" + id + "' for this key", "invalid_request_error",
                         "id", "not_found");
  res.send(200, "application/json", Json{{"data", usage_object(*u)}}.dump());
}

}  // namespace junction::gateway
