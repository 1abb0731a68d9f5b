#include "gateway/completion_proxy.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>

#include "core/json_depth.h"
#include "gateway/anthropic_request.h"
#include "gateway/anthropic_response.h"
#include "gateway/anthropic_stream.h"
#include "gateway/checked_math.h"
#include "gateway/json_members.h"
#include "gateway/key_hash.h"
#include "gateway/quality_router.h"
#include "gateway/request_shape.h"
#include "gateway/reservation.h"
#include "gateway/reservation_size.h"
#include "gateway/retry_policy.h"
#include "http/api_error.h"
#include "http/json_body.h"
#include "http/sse.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;
using http::ApiError;

struct ClientGone {};  // thrown from the SSE line sink when the client's socket is gone

// An upstream answered 2xx but broke the protocol (bad JSON, an error event, no [DONE]).
struct UpstreamBroken {
  std::string message;
};

TokenUsage read_usage(const Json& u) {
  TokenUsage t;
  auto get = [](const Json& o, const char* k) -> int64_t {
    return o.is_object() && o.contains(k) && o[k].is_number_integer() ? o[k].get<int64_t>() : 0;
  };
  t.prompt_tokens = get(u, "prompt_tokens");
  t.completion_tokens = get(u, "completion_tokens");
  if (u.contains("completion_tokens_details"))
    t.reasoning_tokens = get(u["completion_tokens_details"], "reasoning_tokens");
  if (u.contains("prompt_tokens_details"))
    t.cached_tokens = get(u["prompt_tokens_details"], "cached_tokens");
  return t;
}

// "gen-" + the Unix ms (12 hex digits) + 48 random bits (12 hex digits). Time first, so that
// the usage table's index on request_id grows at its right edge: with random ids every record
// of a commit dirtied a different index page, each written to the WAL in full (4 kB).
std::string request_id(int64_t unix_ms) {
  char time_hex[13];
  std::snprintf(time_hex, sizeof time_hex, "%012llx",
                static_cast<unsigned long long>(unix_ms) & 0xffffffffffffull);
  return "gen-" + std::string(time_hex) + random_hex(6);
}

bool is_anthropic(const Deployment& d) {
  return d.provider->kind == "anthropic";
}

// Content chunks allowed past the reserved completion tokens before a stream is cut (a chunk
// may carry no whole token, e.g. a role-only first delta in some dialects).
constexpr int64_t kChunkSlack = 16;

enum class Outcome {
  kDone,   // the client got an answer (or left); the call is over
  kRetry,  // failed before the first byte reached the client: try the next deployment
};

class CompletionCall {
 public:
  CompletionCall(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                 const ApiKeyRecord& key, bool chat)
      : g_(g), req_(req), res_(res), key_(key), chat_(chat) {
    t0_ = g.clock().monotonic_ms();
    record_.created_ms = g.clock().unix_ms();
    record_.request_id = request_id(record_.created_ms);
    record_.key_id = key.id;
  }

  void run() {
    try {
      run_inner();
    } catch (const ApiError& e) {
      fail(e);
    } catch (const SettleFailed& e) {
      store_failed(e);
    }
    // Anything else (a bug) reaches the HTTP layer's 500; reservation_'s destructor has
    // refunded the key in full by then.
  }

 private:
  Headers headers() const {
    Headers h = {{"x-request-id", record_.request_id},
                 {"x-junction-provider", record_.provider.empty() ? "none" : record_.provider}};
    if (!route_.empty()) h.emplace_back("x-junction-route", route_);
    return h;
  }

  // Answers with an error; settles the reservation (nothing charged) if one was taken.
  void fail(const ApiError& e, int64_t retry_after_s = -1) {
    Headers h = headers();
    if (retry_after_s >= 0) h.emplace_back("retry-after", std::to_string(retry_after_s));
    record_.status = "error";
    record_.http_status = e.status;
    try {
      finish();
    } catch (const SettleFailed& f) {
      // Nothing was charged; the reservation stays open until the sweep closes it.
      log_settle_failed(f);
    }
    res_.send(e.status, "application/json", e.to_json(), h);
  }

  void log_settle_failed(const SettleFailed& f) const {
    std::fprintf(stderr,
                 "junction gateway: %s: recording usage failed, the reservation stays open "
                 "until the sweep closes it: %s\n",
                 record_.request_id.c_str(), f.message.c_str());
  }

  // The store failed to record an answer the upstream gave: the answer is withheld (no client
  // holds an answer without its usage record), no other deployment is tried (it would be paid
  // a second time), and nothing is charged.
  void store_failed(const SettleFailed& f) {
    log_settle_failed(f);
    const std::string message =
        "The gateway could not record this request's usage (its store failed), so the answer "
        "is withheld and nothing is charged; retry later";
    if (started_) {
      Json e = stream_chunk_base(*models_.front());
      e["choices"] = Json::array();
      e["error"] = {{"message", message},
                    {"type", "server_error"},
                    {"param", nullptr},
                    {"code", "store_unavailable"}};
      res_.write(http::sse_data(e.dump()));
      res_.end();
      return;
    }
    res_.send(503, "application/json",
              ApiError(503, message, "server_error", "", "store_unavailable").to_json(), headers());
  }

  void run_inner() {
    body_ = http::parse_json_body(req_.body);
    shape_ = read_request_shape(body_, chat_);
    record_.streamed = shape_.stream;
    choose_models();
    check_capabilities();
    if (!chat_ && only_anthropic())
      throw ApiError(400,
                     "The model '" + record_.model +
                         "' is served by the Anthropic Messages API, which has no text "
                         "completions: use /v1/chat/completions",
                     "invalid_request_error", "model", "chat_only_model");
    reserve();
    route();
  }

  bool allowed(const RoutedModel& m) const {
    if (key_.models.empty()) return true;
    for (const auto& name : key_.models) {
      if (name == m.name) return true;
      for (const auto& a : m.aliases)
        if (a == name) return true;
    }
    return false;
  }

  // `model: "auto"` or a named auto pool: the cheapest candidate meeting the quality bar
  // (quality_router.h; the live latency or throughput decides within the config's cost band)
  // takes its place, and the request goes on exactly as if the client had named it. `pool`:
  // the pool's name, whose candidates a key allowed the pool may use; "" for "auto".
  void choose_auto(const AutoRoutingConfig& cfg, const std::string& pool) {
    QualityBar bar{shape_.quality_metric.empty() ? cfg.metric : shape_.quality_metric,
                   shape_.quality_min_score.value_or(cfg.min_score), cfg.within,
                   cfg.prefer == "throughput" ? LiveMeasure::kThroughput : LiveMeasure::kLatency};
    if (bar.metric.empty())
      throw ApiError(400,
                     "model '" + shape_.model +
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
      if (pool.empty() && !allowed(*m)) continue;
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
              size_reservation(shape_, {m->context_length, m->max_output_tokens}, {v.price});
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
                     "No model for '" + shape_.model + "' meets the quality bar: " + choice.reason,
                     "invalid_request_error", "quality", "quality_bar_not_met");
    pool_granted_ = !pool.empty();
    shape_.model = models[*choice.index]->name;
    route_ = "model=" + shape_.model + (pool.empty() ? "" : "; pool=" + pool) +
             "; reason=" + choice.reason;
  }

  void choose_models() {
    if (shape_.model == "auto" && !g_.find_model("auto")) {
      choose_auto(g_.config().routing.auto_routing, "");
    } else if (const AutoPool* pool = g_.find_pool(shape_.model)) {
      if (!key_.models.empty() &&
          std::find(key_.models.begin(), key_.models.end(), pool->name) == key_.models.end())
        throw ApiError(403, "This key may not use the model '" + pool->name + "'",
                       "permission_error", "model", "model_not_allowed");
      choose_auto(pool->choice, pool->name);
    }
    std::vector<std::string> names;
    if (!shape_.model.empty()) names.push_back(shape_.model);
    for (const auto& m : shape_.models) names.push_back(m);
    const RoutedModel* primary = g_.find_model(names.front());
    if (!primary)
      throw ApiError(404, "The model '" + names.front() + "' does not exist",
                     "invalid_request_error", "model", "model_not_found");
    if (!pool_granted_ && !allowed(*primary))
      throw ApiError(403, "This key may not use the model '" + primary->name + "'",
                     "permission_error", "model", "model_not_allowed");
    models_.push_back(primary);
    record_.model = primary->name;
    if (shape_.models.empty()) {
      for (const auto& f : primary->fallbacks) names.push_back(f);
    }
    for (size_t i = 1; i < names.size(); ++i) {
      const RoutedModel* m = g_.find_model(names[i]);
      if (!m) throw invalid_model(names[i]);
      if (allowed(*m) && std::find(models_.begin(), models_.end(), m) == models_.end())
        models_.push_back(m);
    }
  }

  // A request using tools, json_schema or images that no deployment of any model that may
  // answer supports is refused before anything is reserved (router.h).
  void check_capabilities() {
    needs_ = request_needs(body_);
    if (!needs_.any()) return;
    std::vector<std::vector<DeploymentView>> per_model;
    for (const RoutedModel* m : models_) per_model.push_back(g_.views(*m));
    const std::string field = unservable_field(per_model, needs_);
    if (!field.empty())
      throw ApiError(400,
                     "No deployment of '" + record_.model + "' supports " + capability_name(field) +
                         ", which this request uses",
                     "invalid_request_error", field, "unsupported_capability");
  }

  // Every deployment of every model that may answer is of kind anthropic.
  bool only_anthropic() const {
    for (const RoutedModel* m : models_)
      for (const auto& dep : m->deployments)
        for (const auto& p : g_.config().providers)
          if (p.name == dep.provider && p.kind != "anthropic") return false;
    return true;
  }

  static ApiError invalid_model(const std::string& name) {
    return ApiError(400, "The fallback model '" + name + "' does not exist",
                    "invalid_request_error", "models", "model_not_found");
  }

  void reserve() {
    std::vector<Price> prices;
    for (const RoutedModel* m : models_) prices.push_back(m->price);
    // The output bound holds only if every model that may answer has one.
    OutputBounds bounds{models_.front()->context_length, 0};
    for (const RoutedModel* m : models_) {
      if (m->max_output_tokens <= 0) {
        bounds.max_output_tokens = 0;
        break;
      }
      bounds.max_output_tokens = std::max(bounds.max_output_tokens, m->max_output_tokens);
    }
    size_ = size_reservation(shape_, bounds, prices);
    if (auto refused = reservation_.take(size_, record_.request_id, record_.model,
                                         g_.clock().unix_ms(), g_.clock().monotonic_ms())) {
      fail(refused->error, refused->retry_after_s);
      done_ = true;
    }
  }

  void route() {
    if (done_) return;
    std::vector<std::vector<DeploymentView>> per_model;
    for (const RoutedModel* m : models_) per_model.push_back(g_.views(*m));
    if (needs_.any()) per_model = capable_deployments(per_model, needs_);
    const uint64_t seed = g_.next_seed();
    const std::vector<size_t> plan =
        plan_route(per_model, g_.config().routing.strategy, shape_.provider, seed);
    std::mt19937_64 jitter(seed ^ 0x5bd1e995ull);
    const RetryPolicy retry{g_.config().routing.max_attempts, g_.config().routing.backoff_base_ms,
                            g_.config().routing.backoff_max_ms};
    int attempts = 0;
    for (size_t id : plan) {
      if (attempts >= retry.max_attempts) break;
      Deployment& d = g_.deployments()[id];
      if (!chat_ && is_anthropic(d)) continue;       // the Messages API has no text completions
      const std::string body = upstream_request(d);  // a 400 here leaves the health untouched
      if (!d.health->begin(g_.clock().monotonic_ms())) continue;
      if (attempts > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(retry.backoff_ms(attempts, jitter)));
      ++attempts;
      if (attempt(d, body) == Outcome::kDone) return;
    }
    if (attempts == 0) {
      throw ApiError(503,
                     "No deployment of '" + record_.model +
                         "' is available (circuits open, or none matches the provider preferences)",
                     "server_error", "", "no_available_deployment");
    }
    const int status = last_timed_out_ ? 504 : 502;
    throw ApiError(
        status,
        "Every deployment failed (" + std::to_string(attempts) + " attempts); last: " + last_error_,
        "server_error", "", status == 504 ? "upstream_timeout" : "upstream_error");
  }

  const char* path(const Deployment& d) const {
    if (is_anthropic(d)) return "/v1/messages";
    return chat_ ? "/chat/completions" : "/completions";
  }

  // The body sent to this deployment: the client's with the reserved bound written in, or its
  // Anthropic Messages translation with max_tokens defaulting to what was reserved.
  std::string upstream_request(const Deployment& d) const {
    if (!is_anthropic(d)) {
      const TokenBound bound{size_.max_tokens, size_.write_max_tokens};
      if (auto text = upstream_body_text(req_.body, d.upstream_model, shape_.stream, bound))
        return *text;
      return upstream_body(body_, d.upstream_model, shape_.stream, bound);
    }
    return anthropic_request(body_, {d.upstream_model, shape_.stream,
                                     std::min(d.provider->default_max_tokens, size_.max_tokens)})
        .dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  void upstream_failed(Deployment& d, const std::string& what, bool timed_out) {
    d.health->end_failure(g_.clock().monotonic_ms());
    g_.metrics().attempt(d.provider->name, timed_out ? "timeout" : "error");
    last_error_ = d.provider->name + ": " + what;
    last_timed_out_ = timed_out;
  }

  Outcome attempt(Deployment& d, const std::string& body) {
    saw_done_ = false;
    usage_.reset();
    n_content_chunks_ = 0;
    t_upstream_ = g_.clock().monotonic_ms();
    try {
      return shape_.stream ? attempt_stream(d, body) : attempt_whole(d, body);
    } catch (const http::NetworkError& e) {
      if (started_) {
        end_stream_with_error(d, std::string("upstream failed mid-stream: ") + e.what());
        return Outcome::kDone;
      }
      upstream_failed(d, e.what(), e.timed_out());
      // Sent, then no answer in time: the upstream may still be generating it, and bills it.
      // Another deployment would be paid for the same answer a second time (and the client,
      // who gets none, pays for neither): a 504 instead.
      if (e.request_sent() && e.timed_out())
        throw ApiError(504,
                       "The upstream " + d.provider->name +
                           " did not answer in time; not retried on another deployment, which "
                           "would pay for the same answer twice. Nothing was charged.",
                       "server_error", "", "upstream_timeout");
      return Outcome::kRetry;
    } catch (const UpstreamBroken& e) {
      if (started_) {
        end_stream_with_error(d, e.message);
        return Outcome::kDone;
      }
      upstream_failed(d, e.message, false);
      return Outcome::kRetry;
    } catch (const ClientGone&) {
      d.health->end_success(g_.clock().monotonic_ms(), -1, -1);
      g_.metrics().attempt(d.provider->name, "client_gone");
      charge(*d.model, usage_ ? *usage_ : estimated_usage());  // what was generated, no more
      record_.status = "client_disconnected";
      record_.http_status = 499;
      finish();
      return Outcome::kDone;
    } catch (const Error& e) {
      if (started_) {  // e.g. a line over max_event_bytes, after events went out
        end_stream_with_error(d, e.what());
        return Outcome::kDone;
      }
      upstream_failed(d, e.what(), false);
      return Outcome::kRetry;
    }
  }

  // A non-2xx head: retry on 5xx/429/408, else pass the upstream's own error to the client.
  Outcome upstream_status(Deployment& d, const http::HttpResponseHead& head) {
    if (retryable_status(head.status)) {
      upstream_failed(d, "HTTP " + std::to_string(head.status), false);
      return Outcome::kRetry;
    }
    d.health->end_success(g_.clock().monotonic_ms(), -1, -1);
    g_.metrics().attempt(d.provider->name, "rejected");
    record_.provider = d.provider->name;
    std::string text = head.error_body;
    if (is_anthropic(d))
      text = openai_error_from_anthropic(head.status, text);
    else if (!Json::accept(text))
      text = ApiError(head.status, "upstream " + d.provider->name + ": " + text).to_json();
    record_.status = "upstream_rejected";
    record_.http_status = head.status;
    finish();
    res_.send(head.status, "application/json", text, headers());
    return Outcome::kDone;
  }

  // Usage as the upstream reported it, held within the reservation (negative counts would be
  // a credit, huge ones overflow); a clamp is logged with both sides.
  void charge(const RoutedModel& model, const TokenUsage& usage) {
    bool clamped = false;
    record_.tokens = clamp_usage(usage, size_, &clamped);
    record_.cost = charge_for(model.price, record_.tokens, size_, &clamped);
    if (clamped)
      std::fprintf(stderr,
                   "junction gateway: %s: usage clamped to the reservation: reported prompt %lld "
                   "(cached %lld) completion %lld (reasoning %lld); charged prompt %lld "
                   "completion %lld, %lld of %lld nano-USD reserved\n",
                   record_.request_id.c_str(), static_cast<long long>(usage.prompt_tokens),
                   static_cast<long long>(usage.cached_tokens),
                   static_cast<long long>(usage.completion_tokens),
                   static_cast<long long>(usage.reasoning_tokens),
                   static_cast<long long>(record_.tokens.prompt_tokens),
                   static_cast<long long>(record_.tokens.completion_tokens),
                   static_cast<long long>(record_.cost), static_cast<long long>(size_.cost));
  }

  TokenUsage estimated_usage() const {
    TokenUsage u;
    u.prompt_tokens = (shape_.prompt_chars + 3) / 4;
    u.completion_tokens = n_content_chunks_;
    return u;
  }

  // The client's answer from an OpenAI-style upstream answer, rewritten in its text (id, model,
  // provider, usage with the cost) rather than parsed and dumped whole; sets usage. nullopt
  // when the answer is anything but plain (invalid, no choices, no usage object, a rewritten
  // key duplicated or escaped): the tree path below then judges it as before.
  std::optional<std::string> rewrite_answer(Deployment& d, const std::string& text,
                                            TokenUsage& usage) {
    const auto members = top_level_members(text);
    if (!members) return std::nullopt;
    const JsonMember* usage_member = nullptr;
    int n_choices = 0, n_id = 0, n_model = 0, n_provider = 0, n_usage = 0;
    for (const JsonMember& m : *members) {
      if (m.key_escaped) return std::nullopt;
      n_choices += m.key == "choices";
      n_id += m.key == "id";
      n_model += m.key == "model";
      n_provider += m.key == "provider";
      if (m.key == "usage") {
        ++n_usage;
        usage_member = &m;
      }
    }
    if (n_choices != 1 || n_id > 1 || n_model > 1 || n_provider > 1 || n_usage != 1)
      return std::nullopt;
    Json u = parse_json(std::string_view(text).substr(
        usage_member->value_begin, usage_member->value_end - usage_member->value_begin));
    if (!u.is_object()) return std::nullopt;
    usage = read_usage(u);
    charge(*d.model, usage);
    u["cost"] = nano_to_usd(record_.cost);
    const std::string id = "\"" + record_.request_id + "\"";
    const std::string model = Json(d.model->name).dump();
    const std::string provider = Json(d.provider->name).dump();
    const std::string usage_text = u.dump(-1, ' ', false, Json::error_handler_t::replace);
    return edit_members(
        text, *members,
        {{"id", id}, {"model", model}, {"provider", provider}, {"usage", usage_text}});
  }

  Outcome attempt_whole(Deployment& d, const std::string& body) {
    auto [head, text] = g_.upstream().post_json(*d.provider, path(d), body);
    if (head.status < 200 || head.status >= 300) return upstream_status(d, head);
    const int64_t t_back = g_.clock().monotonic_ms();
    TokenUsage usage;
    std::optional<std::string> out;
    if (!is_anthropic(d)) out = rewrite_answer(d, text, usage);
    if (!out) out = rewrite_answer_tree(d, text, usage);
    record_.provider = d.provider->name;
    const double upstream_s = static_cast<double>(t_back - t_upstream_) / 1000.0;
    d.health->end_success(
        t_back, static_cast<double>(t_back - t_upstream_),
        upstream_s > 0 ? static_cast<double>(usage.completion_tokens) / upstream_s : -1);
    g_.metrics().attempt(d.provider->name, "ok");
    record_.ttft_ms = static_cast<double>(g_.clock().monotonic_ms() - t0_);
    added_ms_ = static_cast<double>((t_upstream_ - t0_) + (g_.clock().monotonic_ms() - t_back));
    record_.status = "ok";
    finish();  // durable before the client has the answer
    res_.send(200, "application/json", std::move(*out), headers());
    return Outcome::kDone;
  }

  // The same through a parsed tree: any answer, Anthropic ones translated. Throws
  // UpstreamBroken for what is not a completion.
  std::string rewrite_answer_tree(Deployment& d, const std::string& text, TokenUsage& usage) {
    Json j = parse_json(text);
    if (j.is_discarded()) throw UpstreamBroken{"upstream answered with invalid JSON"};
    if (is_anthropic(d)) {
      if (!j.is_object() || !j.contains("type") || j["type"] != "message")
        throw UpstreamBroken{"upstream answer is not an Anthropic message"};
      j = openai_completion_from_anthropic(j, record_.created_ms / 1000);
    }
    if (!j.is_object() || !j.contains("choices"))
      throw UpstreamBroken{"upstream answer has no choices"};
    usage =
        j.contains("usage") && j["usage"].is_object() ? read_usage(j["usage"]) : estimated_usage();
    charge(*d.model, usage);
    j["id"] = record_.request_id;
    j["model"] = d.model->name;
    j["provider"] = d.provider->name;
    if (!j.contains("usage") || !j["usage"].is_object()) {
      j["usage"] = {{"prompt_tokens", usage.prompt_tokens},
                    {"completion_tokens", usage.completion_tokens},
                    {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
    }
    j["usage"]["cost"] = nano_to_usd(record_.cost);
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  Json stream_chunk_base(const RoutedModel& model) const {
    return {{"id", record_.request_id},
            {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
            {"created", record_.created_ms / 1000},
            {"model", model.name}};
  }

  void dispatch_event(Deployment& d, const std::string& data) {
    if (data == "[DONE]") {
      saw_done_ = true;
      return;
    }
    Json j = parse_json(data);
    if (j.is_discarded()) throw UpstreamBroken{"upstream sent an event that is not JSON"};
    if (j.contains("error")) {
      const Json& e = j["error"];
      throw UpstreamBroken{"upstream error event: " +
                           (e.is_object() && e.contains("message") && e["message"].is_string()
                                ? e["message"].get<std::string>()
                                : e.dump())};
    }
    if (j.contains("usage") && j["usage"].is_object()) usage_ = read_usage(j["usage"]);
    j.erase("usage");
    const bool has_choices =
        j.contains("choices") && j["choices"].is_array() && !j["choices"].empty();
    if (!has_choices) return;  // the usage chunk: re-sent at the end with the cost
    for (const auto& c : j["choices"]) {
      if (c.contains("finish_reason") && c["finish_reason"].is_string())
        finish_reason_ = c["finish_reason"].get<std::string>();
      const Json* delta = c.contains("delta") ? &c["delta"] : nullptr;
      if ((delta && delta->is_object() && !delta->empty() &&
           (delta->contains("content") || delta->contains("reasoning_content") ||
            delta->contains("tool_calls"))) ||
          (c.contains("text") && c["text"].is_string() &&
           !c["text"].get_ref<const std::string&>().empty()))
        ++n_content_chunks_;
    }
    // Each content chunk carries at least one token: an upstream streaming well past what was
    // reserved (max_tokens is written into its request) is broken or hostile, and is cut.
    if (n_content_chunks_ > size_.completion_tokens + kChunkSlack)
      throw UpstreamBroken{"upstream streamed past the " + std::to_string(size_.completion_tokens) +
                           " tokens reserved for this request"};
    j["id"] = record_.request_id;
    j["model"] = d.model->name;
    if (!started_) {
      record_.provider = d.provider->name;
      t_first_ = g_.clock().monotonic_ms();
      added_ms_ = static_cast<double>(t_upstream_ - t0_);
      if (!res_.start_stream(200, "text/event-stream", headers())) throw ClientGone{};
      started_ = true;
      record_.ttft_ms = static_cast<double>(t_first_ - t0_);
    }
    if (!res_.write(http::sse_data(j.dump(-1, ' ', false, Json::error_handler_t::replace))))
      throw ClientGone{};
  }

  Outcome attempt_stream(Deployment& d, const std::string& body) {
    std::string data;  // the data lines of the event being read
    bool has_data = false;
    std::optional<AnthropicStream> anthropic;  // translates a Messages API stream
    if (is_anthropic(d)) anthropic.emplace(record_.created_ms / 1000);
    const auto dispatch = [&](const std::string& event) {
      if (!anthropic) return dispatch_event(d, event);
      for (const std::string& chunk : anthropic->on_event(event)) dispatch_event(d, chunk);
    };
    const auto head =
        g_.upstream().post_stream(*d.provider, path(d), body, [&](std::string_view line) {
          if (g_.clock().monotonic_ms() - t_upstream_ > d.provider->stream_deadline_ms)
            throw UpstreamBroken{"upstream stream ran past its deadline (stream_deadline_ms " +
                                 std::to_string(d.provider->stream_deadline_ms) + ")"};
          if (line.empty()) {
            if (has_data) dispatch(data);
            data.clear();
            has_data = false;
            return;
          }
          if (line.rfind("data:", 0) != 0) return;  // event:, id:, retry:, comments
          std::string_view value = line.substr(5);
          if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
          if (has_data) data += '\n';
          data.append(value);
          has_data = true;
        });
    if (head.status < 200 || head.status >= 300) return upstream_status(d, head);
    if (has_data) dispatch(data);
    if (!saw_done_) throw UpstreamBroken{"upstream stream ended without [DONE]"};
    if (!started_) throw UpstreamBroken{"upstream stream had no choices"};
    const TokenUsage usage = usage_ ? *usage_ : estimated_usage();
    charge(*d.model, usage);
    const int64_t now = g_.clock().monotonic_ms();
    const double gen_s = static_cast<double>(now - t_first_) / 1000.0;
    d.health->end_success(now, static_cast<double>(t_first_ - t_upstream_),
                          gen_s > 0 ? static_cast<double>(usage.completion_tokens) / gen_s : -1);
    g_.metrics().attempt(d.provider->name, "ok");
    record_.status = "ok";
    finish();  // durable before the client sees [DONE]
    if (shape_.include_usage) {
      Json u = stream_chunk_base(*d.model);
      u["choices"] = Json::array();
      u["usage"] = {{"prompt_tokens", usage.prompt_tokens},
                    {"completion_tokens", usage.completion_tokens},
                    {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
                    {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}},
                    {"completion_tokens_details", {{"reasoning_tokens", usage.reasoning_tokens}}},
                    {"cost", nano_to_usd(record_.cost)}};
      res_.write(http::sse_data(u.dump()));
    }
    res_.write(http::kSseDone);
    res_.end();
    return Outcome::kDone;
  }

  // After the first byte: the client gets an error event and finish_reason "error", never a
  // truncated success. What was streamed is charged.
  void end_stream_with_error(Deployment& d, const std::string& what) {
    upstream_failed(d, what, false);
    Json e = stream_chunk_base(*d.model);
    Json choice = {{"index", 0}, {"finish_reason", "error"}};
    if (chat_)
      choice["delta"] = Json::object();
    else
      choice["text"] = "";
    e["choices"] = Json::array({choice});
    e["error"] = {{"message", "The upstream " + d.provider->name +
                                  " failed after the response "
                                  "started: " +
                                  what},
                  {"type", "upstream_error"},
                  {"param", nullptr},
                  {"code", 502}};
    charge(*d.model, usage_ ? *usage_ : estimated_usage());
    record_.status = "upstream_error";
    record_.http_status = 200;
    finish();
    res_.write(http::sse_data(e.dump(-1, ' ', false, Json::error_handler_t::replace)));
    res_.end();
  }

  // Settles the reservation once and commits the usage record, before the last bytes of the
  // answer are written: a client never holds a complete answer whose record is missing. Throws
  // SettleFailed when the store fails (see run()).
  void finish() {
    if (settled_) return;
    settled_ = true;
    done_ = true;
    const int64_t now = g_.clock().monotonic_ms();
    record_.latency_ms = static_cast<double>(now - t0_);
    reservation_.settle(record_, now);
    g_.metrics().request_done(record_.model, record_.http_status, record_.tokens.prompt_tokens,
                              record_.tokens.completion_tokens, record_.cost, added_ms_ / 1000.0);
  }

  GatewayState& g_;
  const http::HttpRequest& req_;
  http::HttpResponder& res_;
  const ApiKeyRecord& key_;
  const bool chat_;

  Json body_;
  RequestShape shape_;
  std::vector<const RoutedModel*> models_;  // the requested model, then fallbacks
  bool pool_granted_ = false;               // the model was chosen by an auto pool the key may use
  std::string route_;                       // x-junction-route: what `model: "auto"` chose and why
  RequestNeeds needs_;                      // capabilities the request uses
  ReservationSize size_;
  UsageRecord record_;
  // Declared after record_ and key_: destroyed first, refunding in full if never settled.
  Reservation reservation_{g_.store(), g_.limiter(), key_, g_.instance()};
  bool done_ = false, settled_ = false;

  int64_t t0_ = 0, t_upstream_ = 0, t_first_ = 0;  // monotonic ms
  double added_ms_ = -1;
  std::string last_error_ = "none";
  bool last_timed_out_ = false;

  bool started_ = false, saw_done_ = false;
  std::optional<TokenUsage> usage_;
  int64_t n_content_chunks_ = 0;
  std::string finish_reason_;
};

}  // namespace

void handle_completion(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                       const ApiKeyRecord& key, bool chat) {
  CompletionCall(g, req, res, key, chat).run();
}

}  // namespace junction::gateway
