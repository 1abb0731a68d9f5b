#include "server/choice_run.h"

#include <algorithm>

#include "http/api_error.h"
#include "http/sse.h"

namespace junction::server {

ChoiceRun::ChoiceRun(const ServingContext& context, std::vector<std::string> stop,
                     bool skip_special_tokens, bool starts_in_reasoning)
    : context_(context),
      stops_(std::move(stop)),
      stream_(std::make_shared<RequestStream>()),
      reasoning_(starts_in_reasoning) {
  if (context.tokenizer) detokenizer_.emplace(*context.tokenizer, skip_special_tokens);
}

void ChoiceRun::submit(EngineRequest request) {
  switch (context_.engine->submit(std::move(request), stream_)) {
    case EngineLoop::Submit::kAccepted:
      return;
    case EngineLoop::Submit::kQueueFull:
      throw http::ApiError(429,
                           "The server is overloaded: its request queue is full. Retry shortly.",
                           "rate_limit_error", "", "queue_full");
    case EngineLoop::Submit::kTooLarge:
      throw http::ApiError(
          400, "This request needs more KV cache than the server has (lower max_tokens).",
          "invalid_request_error", "max_tokens", "context_length_exceeded");
    case EngineLoop::Submit::kStopped:
      throw http::ApiError(503, "The server is shutting down.", "server_error", "",
                           "shutting_down");
  }
}

void ChoiceRun::cancel() {
  stream_->cancel();
}

std::string ChoiceRun::finish_reason() const {
  if (!finish_) return "";
  if (stops_.matched()) return "stop";
  switch (finish_->reason) {
    case StopReason::kStop:
      return "stop";
    case StopReason::kLength:
      return "length";
    case StopReason::kCancelled:
      return "cancelled";
    case StopReason::kError:
      return "error";
  }
  return "";
}

ChoiceRun::Progress ChoiceRun::poll(std::chrono::milliseconds wait) {
  Progress out;
  if (finish_) return out;
  StreamUpdate u = stream_->wait(wait);
  if (!u.prompt_logprobs.empty()) prompt_logprobs_ = std::move(u.prompt_logprobs);
  for (TokenEvent& e : u.tokens) {
    if (stops_.matched()) break;  // tokens the engine made before it saw the cancel
    ++n_generated_;
    std::string piece;
    if (detokenizer_) piece = detokenizer_->add(e.token);
    out.tokens.push_back(std::move(e));
    append_text(piece, out);
    reasoning_.add_token(stops_.text());
  }
  if (u.finish && !finish_) {
    finish_ = std::move(u.finish);
    if (detokenizer_ && !stops_.matched()) append_text(detokenizer_->finish(), out);
    out.text += stops_.flush();
  }
  return out;
}

void ChoiceRun::append_text(const std::string& piece, Progress& out) {
  if (stops_.matched()) return;
  out.text += stops_.add(piece);
  if (stops_.matched()) stream_->cancel();  // the engine's finish (cancelled) still comes
}

ChoiceLoop::ChoiceLoop(const ServingContext& context, const GenerationOptions& options,
                       Clock::time_point start)
    : context_(context), options_(options), start_(start) {}

void ChoiceLoop::submit(EngineRequest request, bool starts_in_reasoning) {
  runs_.push_back(std::make_unique<ChoiceRun>(context_, options_.stop, options_.skip_special_tokens,
                                              starts_in_reasoning));
  last_token_.emplace_back();
  try {
    runs_.back()->submit(std::move(request));
  } catch (...) {
    runs_.pop_back();
    last_token_.pop_back();
    cancel();
    throw;
  }
}

void ChoiceLoop::cancel() {
  for (auto& r : runs_) r->cancel();
}

bool ChoiceLoop::start_stream(http::HttpResponder& out) {
  if (out.start_stream(200, "text/event-stream")) return true;
  cancel();
  return false;
}

bool ChoiceLoop::run(http::HttpResponder& out, int64_t n_prompt, const OnProgress& on_progress) {
  LatencyRecorder latency(context_.metrics, start_);
  auto unfinished = [&] {
    int k = 0;
    for (auto& r : runs_) k += !r->finished();
    return k;
  };
  while (int left = unfinished()) {
    for (size_t i = 0; i < runs_.size(); ++i) {
      if (runs_[i]->finished()) continue;
      ChoiceRun::Progress p = runs_[i]->poll(std::chrono::milliseconds(left == 1 ? 50 : 2));
      latency.tokens_arrived(last_token_[i], p.tokens.size(), Clock::now());
      if (!on_progress(i, p)) break;
    }
    if (out.peer_closed()) {
      cancel();
      context_.metrics->request_finished(
          "abort", n_prompt, 0, std::chrono::duration<double>(Clock::now() - start_).count());
      return false;
    }
  }
  return true;
}

bool ChoiceLoop::engine_failed(http::HttpResponder& out, bool stream) const {
  for (auto& r : runs_) {
    if (r->finish_reason() != "error") continue;
    const std::string message = "The engine failed: " + r->finish_info().error;
    if (!stream) throw http::ApiError(500, message, "server_error");
    out.write(sse_event(stream_error_json(message)));
    out.end();
    return true;
  }
  return false;
}

int64_t ChoiceLoop::n_generated() const {
  int64_t n = 0;
  for (auto& r : runs_) n += r->n_generated();
  return n;
}

int64_t ChoiceLoop::n_reasoning_tokens() const {
  int64_t n = 0;
  for (auto& r : runs_) n += r->n_reasoning_tokens();
  return n;
}

int64_t ChoiceLoop::max_cached_tokens() const {
  int64_t n = 0;
  for (auto& r : runs_) n = std::max(n, r->finish_info().n_cached_tokens);
  return n;
}

int64_t ChoiceLoop::sum_cached_tokens() const {
  int64_t n = 0;
  for (auto& r : runs_) n += r->finish_info().n_cached_tokens;
  return n;
}

PredictionTokens ChoiceLoop::prediction_tokens() const {
  PredictionTokens p;
  for (auto& r : runs_) {
    p.accepted += r->finish_info().n_accepted_draft_tokens;
    p.rejected += r->finish_info().n_draft_tokens - r->finish_info().n_accepted_draft_tokens;
  }
  return p;
}

void ChoiceLoop::record_finished(const std::string& finish_reason, int64_t n_prompt) const {
  context_.metrics->request_finished(finish_reason, n_prompt, n_generated(),
                                     std::chrono::duration<double>(Clock::now() - start_).count());
}

void ChoiceLoop::end_stream(http::HttpResponder& out, const std::optional<Json>& usage_chunk) {
  if (usage_chunk) out.write(sse_event(*usage_chunk));
  out.write(http::kSseDone);
  out.end();
}

}  // namespace junction::server
