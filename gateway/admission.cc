#include "gateway/admission.h"

#include <algorithm>

#include "gateway/quality_router.h"
#include "http/json_body.h"

namespace junction::gateway {
namespace {

using http::ApiError;

// Admission's steps in order; each throws the client's ApiError, which admit() returns.
class Admit {
 public:
  Admit(GatewayState& g, const ApiKeyRecord& key, bool chat, Admission& out)
      : g_(g), key_(key), chat_(chat), a_(out) {}

  void run(std::string_view body_text) {
    a_.body = http::parse_json_body(body_text);
    a_.shape = read_request_shape(a_.body, chat_);
    choose_models();
    check_capabilities();
    if (!chat_ && only_anthropic())
      throw ApiError(400,
                     "The model '" + a_.models.front()->name +
                         "' is served by the Anthropic Messages API, which has no text "
                         "completions: use /v1/chat/completions",
                     "invalid_request_error", "model", "chat_only_model");
    size();
  }

 private:
  // `model: "auto"` or a named auto pool: the cheapest candidate meeting the quality bar
  // (quality_router.h; the live latency or throughput decides within the config's cost band)
  // takes its place, and the request goes on exactly as if the client had named it. `pool`:
  // the pool's name, whose candidates a key allowed the pool may use; "" for "auto".
  void choose_auto(const AutoRoutingConfig& cfg, const std::string& pool) {
    RequestShape& shape = a_.shape;
    QualityBar bar{shape.quality_metric.empty() ? cfg.metric : shape.quality_metric,
                   shape.quality_min_score.value_or(cfg.min_score), cfg.within,
                   cfg.prefer == "throughput" ? LiveMeasure::kThroughput : LiveMeasure::kLatency};
    if (bar.metric.empty())
      throw ApiError(400,
                     "model '" + shape.model +
                         "' needs a quality metric: set quality.metric in the request or " +
                         (pool.empty() ? "routing.auto.metric" : "the pool's auto.metric") +
                         " in the gateway config",
                     "invalid_request_error", "quality", "quality_metric_missing");
    std::vector<const RoutedModel*> candidate_models;
    if (cfg.candidates.empty()) {
      for (const RoutedModel& m : g_.config().models) candidate_models.push_back(&m);
    } else {
      for (const auto& name : cfg.candidates)
        if (const RoutedModel* m = g_.find_model(name)) candidate_models.push_back(m);
    }
    std::vector<const RoutedModel*> models;
    std::vector<QualityCandidate> candidates;
    for (const RoutedModel* m : candidate_models) {
      if (pool.empty() && !key_may_use(key_, *m)) continue;
      QualityCandidate c;
      c.model = m->name;
      c.score = g_.quality().score(m->name, bar.metric);
      for (const auto& a : m->aliases)
        if (!c.score) c.score = g_.quality().score(a, bar.metric);
      // The cheapest deployment the router could use, at this request's estimated size (the
      // reservation's sizing: the same tokens the key is held for), and the best live measures.
      for (const DeploymentView& v : g_.views(*m)) {
        if (!v.available) continue;
        try {
          const ReservationSize size =
              size_reservation(shape, {m->context_length, m->max_output_tokens}, {v.price});
          if (!c.cost || size.cost < *c.cost) c.cost = size.cost;
        } catch (const ApiError&) {
          // Too large for this model: it cannot be the choice.
        }
        if (v.latency_ms >= 0 && (c.latency_ms < 0 || v.latency_ms < c.latency_ms))
          c.latency_ms = v.latency_ms;
        c.tokens_per_s = std::max(c.tokens_per_s, v.tokens_per_s);
      }
      models.push_back(m);
      candidates.push_back(std::move(c));
    }
    const QualityChoice choice = choose_by_quality(candidates, bar);
    if (!choice.index)
      throw ApiError(400,
                     "No model for '" + shape.model + "' meets the quality bar: " + choice.reason,
                     "invalid_request_error", "quality", "quality_bar_not_met");
    pool_granted_ = !pool.empty();
    shape.model = models[*choice.index]->name;
    a_.route = "model=" + shape.model + (pool.empty() ? "" : "; pool=" + pool) +
               "; reason=" + choice.reason;
  }

  void choose_models() {
    const RequestShape& shape = a_.shape;
    if (shape.model == "auto" && !g_.find_model("auto")) {
      choose_auto(g_.config().routing.auto_routing, "");
    } else if (const AutoPool* pool = g_.find_pool(shape.model)) {
      if (!key_.models.empty() &&
          std::find(key_.models.begin(), key_.models.end(), pool->name) == key_.models.end())
        throw ApiError(403, "This key may not use the model '" + pool->name + "'",
                       "permission_error", "model", "model_not_allowed");
      choose_auto(pool->choice, pool->name);
    }
    std::vector<std::string> names;
    if (!shape.model.empty()) names.push_back(shape.model);
    for (const auto& m : shape.models) names.push_back(m);
    const RoutedModel* primary = g_.find_model(names.front());
    if (!primary)
      throw ApiError(404, "The model '" + names.front() + "' does not exist",
                     "invalid_request_error", "model", "model_not_found");
    if (!pool_granted_ && !key_may_use(key_, *primary))
      throw ApiError(403, "This key may not use the model '" + primary->name + "'",
                     "permission_error", "model", "model_not_allowed");
    std::vector<const RoutedModel*>& models = a_.models;
    models.push_back(primary);
    if (shape.models.empty()) {
      for (const auto& f : primary->fallbacks) names.push_back(f);
    }
    for (size_t i = 1; i < names.size(); ++i) {
      const RoutedModel* m = g_.find_model(names[i]);
      if (!m)
        throw ApiError(400, "The fallback model '" + names[i] + "' does not exist",
                       "invalid_request_error", "models", "model_not_found");
      if (key_may_use(key_, *m) && std::find(models.begin(), models.end(), m) == models.end())
        models.push_back(m);
    }
  }

  // A request using tools, json_schema or images that no deployment of any model that may
  // answer supports is refused before anything is reserved (router.h).
  void check_capabilities() {
    a_.needs = request_needs(a_.body);
    if (!a_.needs.any()) return;
    std::vector<std::vector<DeploymentView>> per_model;
    for (const RoutedModel* m : a_.models) per_model.push_back(g_.views(*m));
    const std::string field = unservable_field(per_model, a_.needs);
    if (!field.empty())
      throw ApiError(400,
                     "No deployment of '" + a_.models.front()->name + "' supports " +
                         capability_name(field) + ", which this request uses",
                     "invalid_request_error", field, "unsupported_capability");
  }

  // Every deployment of every model that may answer is of kind anthropic.
  bool only_anthropic() const {
    for (const RoutedModel* m : a_.models)
      for (const auto& dep : m->deployments)
        for (const auto& p : g_.config().providers)
          if (p.name == dep.provider && p.kind != "anthropic") return false;
    return true;
  }

  // The worst case at the highest price among the models that may answer.
  void size() {
    std::vector<Price> prices;
    for (const RoutedModel* m : a_.models) prices.push_back(m->price);
    // The output bound holds only if every model that may answer has one.
    OutputBounds bounds{a_.models.front()->context_length, 0};
    for (const RoutedModel* m : a_.models) {
      if (m->max_output_tokens <= 0) {
        bounds.max_output_tokens = 0;
        break;
      }
      bounds.max_output_tokens = std::max(bounds.max_output_tokens, m->max_output_tokens);
    }
    a_.size = size_reservation(a_.shape, bounds, prices);
  }

  GatewayState& g_;
  const ApiKeyRecord& key_;
  const bool chat_;
  Admission& a_;
  bool pool_granted_ = false;  // the model was chosen by an auto pool the key may use
};

}  // namespace

bool key_may_use(const ApiKeyRecord& key, const RoutedModel& model) {
  if (key.models.empty()) return true;
  for (const auto& name : key.models) {
    if (name == model.name) return true;
    for (const auto& a : model.aliases)
      if (a == name) return true;
  }
  return false;
}

Admission admit(GatewayState& g, std::string_view body_text, const ApiKeyRecord& key, bool chat) {
  Admission a;
  try {
    Admit(g, key, chat, a).run(body_text);
  } catch (const ApiError& e) {
    a.refused = e;
  }
  return a;
}

}  // namespace junction::gateway
