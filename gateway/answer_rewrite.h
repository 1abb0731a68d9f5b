// The answer rewrite: what the client receives of an upstream's answer. A whole answer keeps
// its text with `id`, `model`, `provider` and `usage` (with its `cost`) replaced; a stream
// event keeps its text less `usage`, with `id` and `model` replaced; Anthropic answers are
// translated first. Also the stream's closing events (the usage chunk, the upstream error
// event, the store error event) and an upstream refusal's body. Pure: no I/O, no clock, so
// every rule is testable on recorded answers (tests/gateway/answer_rewrite_test.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "gateway/price.h"
#include "gateway/reservation_size.h"

namespace junction::gateway {

// The names an answer is rewritten to carry.
struct AnswerIds {
  std::string request_id;  // the gateway's "gen-..." id
  std::string model;       // the public model name of the deployment that answered
  std::string provider;    // its provider
  int64_t created_s = 0;   // the request's Unix time, s
  bool chat = true;        // /v1/chat/completions; else /v1/completions
};

// What one answer costs: the usage the upstream reported (or the gateway estimated), held
// within the reservation, and its price at the model's rates.
struct Charge {
  TokenUsage reported;
  TokenUsage tokens;  // clamped: what the usage record says
  NanoUsd cost = 0;   // at most the reservation
  bool clamped = false;
};
Charge charge_usage(const Price& price, const TokenUsage& reported, const ReservationSize& size);

// The upstream's `usage` object read as counts; absent or non-integer fields are 0.
TokenUsage read_usage(const nlohmann::json& usage);

// Usage when the upstream reported none: prompt bytes / 4, one token per content event.
TokenUsage estimated_usage(int64_t prompt_chars, int64_t content_chunks);

// A whole (non-streamed) answer rewritten for the client, or why it is no answer.
struct WholeAnswer {
  std::string text;   // the client's body when error is empty
  std::string error;  // non-empty: the upstream broke the protocol (not a completion)
  Charge charge;
};
// `text`: the upstream's 2xx body; `anthropic`: a Messages API answer to translate;
// `prompt_chars`: for the estimate when the answer carries no usage.
WholeAnswer rewrite_whole_answer(std::string_view text, bool anthropic, const AnswerIds& ids,
                                 const Price& price, const ReservationSize& size,
                                 int64_t prompt_chars);

// One upstream stream event (the data of an SSE event, OpenAI's chunk shape) judged and
// rewritten.
struct StreamEvent {
  enum class Kind {
    kDone,    // [DONE]
    kBroken,  // not JSON, or an error event: `text` says why
    kSkip,    // nothing for the client (the usage chunk, re-sent at the end with the cost)
    kChunk,   // `text`: the event's JSON for the client
  };
  Kind kind = Kind::kSkip;
  std::string text;
  std::optional<TokenUsage> usage;  // reported in this event
  int64_t content_chunks = 0;       // choices carrying content (each at least one token)
};
StreamEvent rewrite_stream_event(std::string_view data, const AnswerIds& ids);

// The stream's closing events, as JSON text for one SSE data line. The usage chunk (for
// stream_options.include_usage) with the cost charged:
std::string stream_usage_chunk(const AnswerIds& ids, const TokenUsage& usage, NanoUsd cost);
// The last event of a stream the upstream broke after it started: finish_reason "error" and
// an OpenAI-style `error` the SDKs raise on.
std::string stream_upstream_error_event(const AnswerIds& ids, const std::string& what);
// The last event of a stream whose usage the store failed to record.
std::string stream_store_error_event(const AnswerIds& ids, const std::string& message);

// The body of an upstream's refusal (a non-retryable non-2xx status) for the client:
// Anthropic's translated, anything not JSON wrapped in an OpenAI-style error.
std::string rejection_body(int status, const std::string& upstream_body, bool anthropic,
                           const std::string& provider);

}  // namespace junction::gateway
