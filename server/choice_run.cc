#include "server/choice_run.h"

#include <algorithm>

#include "http/api_error.h"

namespace junction::server {

ChoiceRun::ChoiceRun(const ServingContext& context, std::vector<std::string> stop,
                     bool skip_special_tokens, bool starts_in_reasoning)
    : context_(context),
      stops_(std::move(stop)),
      stream_(std::make_shared<RequestStream>()),
      in_reasoning_(starts_in_reasoning),
      reasoning_decided_(starts_in_reasoning) {
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
    if (!reasoning_decided_) {
      // Reasoning counts only if the output opens with <think> (after whitespace).
      std::string lead = stops_.text() + piece;
      lead.erase(0, std::min(lead.size(), lead.find_first_not_of(" \t\r\n")));
      if (lead.starts_with("<think>")) {
        in_reasoning_ = reasoning_decided_ = true;
      } else if (!lead.empty() && !std::string_view("<think>").starts_with(lead)) {
        reasoning_decided_ = true;
      }
    }
    append_text(piece, out);
    if (in_reasoning_ || !reasoning_decided_) {
      ++n_reasoning_;
      if (stops_.text().find("</think>") != std::string::npos) in_reasoning_ = false;
    }
  }
  if (u.finish && !finish_) {
    finish_ = std::move(u.finish);
    if (!reasoning_decided_) n_reasoning_ = 0;
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

}  // namespace junction::server
