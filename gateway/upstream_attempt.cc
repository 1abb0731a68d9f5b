#include "gateway/upstream_attempt.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "gateway/answer_rewrite.h"
#include "gateway/anthropic_request.h"
#include "gateway/anthropic_stream.h"
#include "http/http_client.h"
#include "http/sse.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::json;
using Kind = AttemptOutcome::Kind;

// Content chunks allowed past the reserved completion tokens before a stream is cut (a chunk
// may carry no whole token, e.g. a role-only first delta in some dialects).
constexpr int64_t kChunkSlack = 16;

// Thrown from the SSE line sink to abort the upstream read (its only way out); caught in
// Attempt::run and never beyond it.
struct Broken {
  std::string message;
};
struct ClientGone {};

bool is_anthropic(const Deployment& d) {
  return d.provider->kind == "anthropic";
}

class Attempt {
 public:
  Attempt(GatewayState& g, http::HttpResponder& res, const AttemptRequest& rq, Deployment& d)
      : g_(g), res_(res), rq_(rq), d_(d) {
    ids_ = {rq.request_id, d.model->name, d.provider->name, rq.created_s, rq.chat};
  }

  AttemptOutcome run(const std::string& body) {
    t_upstream_ = g_.clock().monotonic_ms();
    try {
      return rq_.shape->stream ? stream(body) : whole(body);
    } catch (const http::NetworkError& e) {
      const Kind kind = classify_network_failure(started_, e.request_sent(), e.timed_out());
      if (kind == Kind::kStreamCut)
        return failed(kind, std::string("upstream failed mid-stream: ") + e.what(), false);
      return failed(kind, e.what(), e.timed_out());
    } catch (const Broken& e) {
      return failed(classify_broken(started_), e.message, false);
    } catch (const ClientGone&) {
      d_.health->end_success(g_.clock().monotonic_ms(), -1, -1);
      g_.metrics().attempt(d_.provider->name, "client_gone");
      AttemptOutcome o = so_far(Kind::kClientGone);
      o.provider = d_.provider->name;  // it was answering when the client left
      return o;
    } catch (const Error& e) {
      // A line over max_event_bytes, an Anthropic event that cannot be translated.
      return failed(classify_broken(started_), e.what(), false);
    } catch (const std::exception& e) {
      // What an upstream sent made a reader fail in a way it should not (a bug, found by
      // the upstream): still the upstream's broken answer, not an exception for the loop.
      return failed(classify_broken(started_),
                    std::string("upstream answer could not be read: ") + e.what(), false);
    }
  }

 private:
  // What the client was sent so far, and what it used (reported, else estimated).
  AttemptOutcome so_far(Kind kind) const {
    AttemptOutcome o;
    o.kind = kind;
    o.streamed = started_;
    o.usage = usage_ ? *usage_ : estimated_usage(rq_.shape->prompt_chars, n_content_chunks_);
    if (started_) o.provider = d_.provider->name;
    o.ttft_ms = ttft_ms_;
    o.added_ms = added_ms_;
    return o;
  }

  AttemptOutcome failed(Kind kind, const std::string& what, bool timed_out) {
    d_.health->end_failure(g_.clock().monotonic_ms());
    g_.metrics().attempt(d_.provider->name, timed_out ? "timeout" : "error");
    AttemptOutcome o = kind == Kind::kStreamCut ? so_far(kind) : AttemptOutcome{};
    o.kind = kind;
    o.detail = what;
    o.timed_out = timed_out;
    return o;
  }

  // A non-2xx head: retryable, or the upstream's own refusal for the client.
  AttemptOutcome status_outcome(const http::HttpResponseHead& head) {
    const Kind kind = classify_status(head.status);
    if (kind == Kind::kFailed) return failed(kind, "HTTP " + std::to_string(head.status), false);
    d_.health->end_success(g_.clock().monotonic_ms(), -1, -1);
    g_.metrics().attempt(d_.provider->name, "rejected");
    AttemptOutcome o;
    o.kind = kind;
    o.status = head.status;
    o.provider = d_.provider->name;
    o.body = rejection_body(head.status, head.error_body, is_anthropic(d_), d_.provider->name);
    return o;
  }

  AttemptOutcome whole(const std::string& body) {
    auto [head, text] = g_.upstream().post_json(*d_.provider, upstream_path(d_, rq_.chat), body);
    if (head.status < 200 || head.status >= 300) return status_outcome(head);
    const int64_t t_back = g_.clock().monotonic_ms();
    WholeAnswer answer = rewrite_whole_answer(text, is_anthropic(d_), ids_, d_.model->price,
                                              *rq_.size, rq_.shape->prompt_chars);
    if (!answer.error.empty()) return failed(classify_broken(false), answer.error, false);
    const double upstream_s = static_cast<double>(t_back - t_upstream_) / 1000.0;
    d_.health->end_success(
        t_back, static_cast<double>(t_back - t_upstream_),
        upstream_s > 0 ? static_cast<double>(answer.charge.reported.completion_tokens) / upstream_s
                       : -1);
    g_.metrics().attempt(d_.provider->name, "ok");
    const int64_t now = g_.clock().monotonic_ms();
    AttemptOutcome o;
    o.kind = Kind::kAnswered;
    o.body = std::move(answer.text);
    o.usage = answer.charge.reported;
    o.provider = d_.provider->name;
    o.ttft_ms = static_cast<double>(now - rq_.t0_ms);
    o.added_ms = static_cast<double>((t_upstream_ - rq_.t0_ms) + (now - t_back));
    return o;
  }

  // One event of the (OpenAI-shaped) stream: relayed to the client, the first one starting
  // the client's stream.
  void on_event(const std::string& data) {
    StreamEvent ev = rewrite_stream_event(data, ids_);
    if (ev.kind == StreamEvent::Kind::kDone) {
      saw_done_ = true;
      return;
    }
    if (ev.kind == StreamEvent::Kind::kBroken) throw Broken{ev.text};
    if (ev.usage) usage_ = ev.usage;
    if (ev.kind == StreamEvent::Kind::kSkip) return;
    n_content_chunks_ += ev.content_chunks;
    // Each content chunk carries at least one token: an upstream streaming well past what was
    // reserved (max_tokens is written into its request) is broken or hostile, and is cut.
    if (n_content_chunks_ > rq_.size->completion_tokens + kChunkSlack)
      throw Broken{"upstream streamed past the " + std::to_string(rq_.size->completion_tokens) +
                   " tokens reserved for this request"};
    if (!started_) {
      t_first_ = g_.clock().monotonic_ms();
      added_ms_ = static_cast<double>(t_upstream_ - rq_.t0_ms);
      if (!res_.start_stream(200, "text/event-stream",
                             answer_headers(rq_.request_id, d_.provider->name, rq_.route)))
        throw ClientGone{};
      started_ = true;
      ttft_ms_ = static_cast<double>(t_first_ - rq_.t0_ms);
    }
    if (!res_.write(http::sse_data(ev.text))) throw ClientGone{};
  }

  AttemptOutcome stream(const std::string& body) {
    std::string data;  // the data lines of the event being read
    bool has_data = false;
    std::optional<AnthropicStream> anthropic;  // translates a Messages API stream
    if (is_anthropic(d_)) anthropic.emplace(rq_.created_s);
    const auto dispatch = [&](const std::string& event) {
      if (!anthropic) return on_event(event);
      for (const std::string& chunk : anthropic->on_event(event)) on_event(chunk);
    };
    const int64_t deadline_ms = d_.provider->stream_deadline_ms;
    const auto head = g_.upstream().post_stream(
        *d_.provider, upstream_path(d_, rq_.chat), body, [&](std::string_view line) {
          if (g_.clock().monotonic_ms() - t_upstream_ > deadline_ms)
            throw Broken{"upstream stream ran past its deadline (stream_deadline_ms " +
                         std::to_string(deadline_ms) + ")"};
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
    if (head.status < 200 || head.status >= 300) return status_outcome(head);
    if (has_data) dispatch(data);
    if (!saw_done_)
      return failed(classify_broken(started_), "upstream stream ended without [DONE]", false);
    if (!started_) return failed(classify_broken(false), "upstream stream had no choices", false);
    AttemptOutcome o = so_far(Kind::kAnswered);
    const int64_t now = g_.clock().monotonic_ms();
    const double gen_s = static_cast<double>(now - t_first_) / 1000.0;
    d_.health->end_success(now, static_cast<double>(t_first_ - t_upstream_),
                           gen_s > 0 ? static_cast<double>(o.usage.completion_tokens) / gen_s : -1);
    g_.metrics().attempt(d_.provider->name, "ok");
    return o;
  }

  GatewayState& g_;
  http::HttpResponder& res_;
  const AttemptRequest& rq_;
  Deployment& d_;
  AnswerIds ids_;

  int64_t t_upstream_ = 0, t_first_ = 0;  // monotonic ms
  double ttft_ms_ = -1, added_ms_ = -1;
  bool started_ = false, saw_done_ = false;
  std::optional<TokenUsage> usage_;
  int64_t n_content_chunks_ = 0;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> answer_headers(const std::string& request_id,
                                                                const std::string& provider,
                                                                const std::string& route) {
  std::vector<std::pair<std::string, std::string>> h = {
      {"x-request-id", request_id}, {"x-junction-provider", provider.empty() ? "none" : provider}};
  if (!route.empty()) h.emplace_back("x-junction-route", route);
  return h;
}

const char* upstream_path(const Deployment& d, bool chat) {
  if (is_anthropic(d)) return "/v1/messages";
  return chat ? "/chat/completions" : "/completions";
}

std::string upstream_request_body(const Deployment& d, std::string_view body_text, const Json& body,
                                  const RequestShape& shape, const ReservationSize& size) {
  if (!is_anthropic(d)) {
    const TokenBound bound{size.max_tokens, size.write_max_tokens};
    if (auto text = upstream_body_text(body_text, d.upstream_model, shape.stream, bound))
      return *text;
    return upstream_body(body, d.upstream_model, shape.stream, bound);
  }
  return anthropic_request(body, {d.upstream_model, shape.stream,
                                  std::min(d.provider->default_max_tokens, size.max_tokens)})
      .dump(-1, ' ', false, Json::error_handler_t::replace);
}

AttemptOutcome run_upstream_attempt(GatewayState& g, http::HttpResponder& res,
                                    const AttemptRequest& request, Deployment& d,
                                    const std::string& body) {
  return Attempt(g, res, request, d).run(body);
}

}  // namespace junction::gateway
