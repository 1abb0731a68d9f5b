#include "gateway/completion_proxy.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>

#include "gateway/admission.h"
#include "gateway/answer_rewrite.h"
#include "gateway/attempt_outcome.h"
#include "gateway/key_hash.h"
#include "gateway/reservation.h"
#include "gateway/retry_policy.h"
#include "gateway/upstream_attempt.h"
#include "http/api_error.h"
#include "http/sse.h"

namespace junction::gateway {
namespace {

using http::ApiError;
using Step = AttemptDecision::Step;

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

// The request path: admission, the reservation, then attempts over the planned deployments
// until decide() (attempt_outcome.h) says one concluded; that outcome is charged, settled and
// then delivered. Every rule of the steps lives in their own files; this is the loop.
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
      // A body no deployment's dialect can take (upstream_request_body).
      fail(e);
    }
    // Anything else (a bug, a store failing to reserve) reaches the HTTP layer's 500;
    // reservation_'s destructor has refunded the key in full by then.
  }

 private:
  void run_inner() {
    a_ = admit(g_, req_.body, key_, chat_);
    if (!a_.models.empty()) record_.model = a_.models.front()->name;
    record_.streamed = a_.shape.stream;
    if (a_.refused) return fail(*a_.refused);
    if (auto refused = reservation_.take(a_.size, record_.request_id, record_.model,
                                         g_.clock().unix_ms(), g_.clock().monotonic_ms()))
      return fail(refused->error, refused->retry_after_s);
    attempts();
  }

  // Tries the planned deployments in order until an attempt concludes.
  void attempts() {
    std::vector<std::vector<DeploymentView>> per_model;
    for (const RoutedModel* m : a_.models) per_model.push_back(g_.views(*m));
    if (a_.needs.any()) per_model = capable_deployments(per_model, a_.needs);
    const uint64_t seed = g_.next_seed();
    const std::vector<size_t> plan =
        plan_route(per_model, g_.config().routing.strategy, a_.shape.provider, seed);
    std::mt19937_64 jitter(seed ^ 0x5bd1e995ull);
    const RetryPolicy retry{g_.config().routing.max_attempts, g_.config().routing.backoff_base_ms,
                            g_.config().routing.backoff_max_ms};
    const AttemptRequest request{
        record_.request_id, record_.created_ms / 1000, t0_, chat_, a_.route, &a_.shape, &a_.size};
    int n_attempts = 0;
    std::string last_error = "none";
    bool last_timed_out = false;
    for (size_t id : plan) {
      if (n_attempts >= retry.max_attempts) break;
      Deployment& d = g_.deployments()[id];
      if (!chat_ && is_anthropic(d)) continue;  // the Messages API has no text completions
      // A 400 here leaves the health untouched.
      const std::string body = upstream_request_body(d, req_.body, a_.body, a_.shape, a_.size);
      if (!d.health->begin(g_.clock().monotonic_ms())) continue;
      if (n_attempts > 0)
        std::this_thread::sleep_for(
            std::chrono::milliseconds(retry.backoff_ms(n_attempts, jitter)));
      ++n_attempts;
      const AttemptOutcome outcome = run_upstream_attempt(g_, res_, request, d, body);
      if (decide(outcome).step == Step::kTryNext) {
        last_error = d.provider->name + ": " + outcome.detail;
        last_timed_out = outcome.timed_out;
        continue;
      }
      return conclude(d, outcome);
    }
    fail(no_deployment_answered(record_.model, n_attempts, last_error, last_timed_out));
  }

  // An outcome that ends the request: charged as decide() says, settled, then delivered.
  void conclude(const Deployment& d, const AttemptOutcome& outcome) {
    const AttemptDecision next = decide(outcome);
    if (next.step == Step::kWithhold) return withhold(outcome.streamed);
    if (next.step == Step::kRefuse) return fail(sent_then_timed_out_error(d.provider->name));
    if (!outcome.provider.empty()) record_.provider = outcome.provider;
    if (outcome.ttft_ms >= 0) record_.ttft_ms = outcome.ttft_ms;
    if (outcome.added_ms >= 0) added_ms_ = outcome.added_ms;
    Charge charge;
    if (next.charge) {
      charge = charge_usage(d.model->price, outcome.usage, a_.size);
      log_clamp(charge);
      record_.tokens = charge.tokens;
      record_.cost = charge.cost;
    }
    record_.status = next.record_status;
    record_.http_status = next.record_http_status;
    // Durable before the client has the answer's last bytes.
    if (auto failure = settle()) {
      AttemptOutcome settle_failed;
      settle_failed.kind = AttemptOutcome::Kind::kSettleFailed;
      settle_failed.detail = *failure;
      settle_failed.streamed = outcome.streamed;
      return conclude(d, settle_failed);
    }
    const AnswerIds ids{record_.request_id, d.model->name, d.provider->name,
                        record_.created_ms / 1000, chat_};
    switch (next.step) {
      case Step::kDeliver:
        if (!outcome.streamed) {
          res_.send(200, "application/json", outcome.body, headers());
          return;
        }
        if (a_.shape.include_usage)
          res_.write(http::sse_data(stream_usage_chunk(ids, charge.reported, charge.cost)));
        res_.write(http::kSseDone);
        res_.end();
        return;
      case Step::kPassRejection:
        res_.send(outcome.status, "application/json", outcome.body, headers());
        return;
      case Step::kEndStreamError:
        // The client gets an error event and finish_reason "error", never a truncated success.
        res_.write(http::sse_data(stream_upstream_error_event(ids, outcome.detail)));
        res_.end();
        return;
      default:  // kRecordClientGone: no one to write to
        return;
    }
  }

  std::vector<std::pair<std::string, std::string>> headers() const {
    return answer_headers(record_.request_id, record_.provider, a_.route);
  }

  // Answers with an error; settles the reservation (nothing charged) if one was taken.
  void fail(const ApiError& e, int64_t retry_after_s = -1) {
    auto h = headers();
    if (retry_after_s >= 0) h.emplace_back("retry-after", std::to_string(retry_after_s));
    record_.status = "error";
    record_.http_status = e.status;
    record_.tokens = {};
    record_.cost = 0;
    settle();  // a failure leaves the reservation open until the sweep closes it
    res_.send(e.status, "application/json", e.to_json(), h);
  }

  // The store failed to record an answer the upstream gave: the answer is withheld (no client
  // holds an answer without its usage record), no other deployment is tried (it would be paid
  // a second time), and nothing is charged.
  void withhold(bool streamed) {
    const std::string message = store_unavailable_message();
    if (streamed) {
      const AnswerIds ids{record_.request_id, a_.models.front()->name, "",
                          record_.created_ms / 1000, chat_};
      res_.write(http::sse_data(stream_store_error_event(ids, message)));
      res_.end();
      return;
    }
    res_.send(503, "application/json",
              ApiError(503, message, "server_error", "", "store_unavailable").to_json(), headers());
  }

  void log_clamp(const Charge& c) const {
    if (!c.clamped) return;
    std::fprintf(stderr,
                 "junction gateway: %s: usage clamped to the reservation: reported prompt %lld "
                 "(cached %lld) completion %lld (reasoning %lld); charged prompt %lld "
                 "completion %lld, %lld of %lld nano-USD reserved\n",
                 record_.request_id.c_str(), static_cast<long long>(c.reported.prompt_tokens),
                 static_cast<long long>(c.reported.cached_tokens),
                 static_cast<long long>(c.reported.completion_tokens),
                 static_cast<long long>(c.reported.reasoning_tokens),
                 static_cast<long long>(c.tokens.prompt_tokens),
                 static_cast<long long>(c.tokens.completion_tokens), static_cast<long long>(c.cost),
                 static_cast<long long>(a_.size.cost));
  }

  // Settles the reservation once and commits the usage record. The store's error when it
  // failed (the reservation then stays open until the sweep closes it), else nullopt.
  std::optional<std::string> settle() {
    if (settled_) return std::nullopt;
    settled_ = true;
    const int64_t now = g_.clock().monotonic_ms();
    record_.latency_ms = static_cast<double>(now - t0_);
    try {
      reservation_.settle(record_, now);
    } catch (const SettleFailed& f) {
      std::fprintf(stderr,
                   "junction gateway: %s: recording usage failed, the reservation stays open "
                   "until the sweep closes it: %s\n",
                   record_.request_id.c_str(), f.message.c_str());
      return f.message;
    }
    g_.metrics().request_done(record_.model, record_.http_status, record_.tokens.prompt_tokens,
                              record_.tokens.completion_tokens, record_.cost, added_ms_ / 1000.0);
    return std::nullopt;
  }

  GatewayState& g_;
  const http::HttpRequest& req_;
  http::HttpResponder& res_;
  const ApiKeyRecord& key_;
  const bool chat_;

  Admission a_;
  UsageRecord record_;
  // Declared after record_ and key_: destroyed first, refunding in full if never settled.
  Reservation reservation_{g_.store(), g_.limiter(), key_, g_.instance()};
  bool settled_ = false;
  int64_t t0_ = 0;  // monotonic ms
  double added_ms_ = -1;
};

}  // namespace

void handle_completion(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                       const ApiKeyRecord& key, bool chat) {
  CompletionCall(g, req, res, key, chat).run();
}

}  // namespace junction::gateway
