// What one upstream attempt came to, as a value, and what the retry loop does with it. The
// attempt (upstream_attempt.h) performs the call and returns an AttemptOutcome instead of
// throwing; decide() is the whole retry rule in one pure table: which outcomes move on to the
// next deployment (only those where nothing reached the client and nothing may be billed
// twice), which are settled and answered, what is charged and what the usage record says.
// Pure: unit-tested outcome by outcome (tests/gateway/attempt_outcome_test.cc).
#pragma once

#include <string>

#include "gateway/price.h"
#include "http/api_error.h"

namespace junction::gateway {

struct AttemptOutcome {
  enum class Kind {
    // The upstream answered in full: a whole answer (`body`, rewritten) or a stream relayed
    // to its [DONE] (the usage chunk and [DONE] still to be written, after the settle).
    kAnswered,
    // The upstream refused the request itself (a 4xx other than 408/429): `status` and
    // `body`, for the client as the upstream sent them.
    kRejected,
    // Failed before anything reached the client, and nothing suggests the upstream is still
    // working on it (connect error, 5xx/429/408, a broken answer): another deployment may try.
    kFailed,
    // The request was sent, then no answer came in time: the upstream may still generate the
    // answer, and bill it. Another deployment would be paid for it a second time.
    kSentThenTimedOut,
    // The stream had started (the client holds events) when the upstream failed.
    kStreamCut,
    // The client left while the answer streamed.
    kClientGone,
    // Not from an attempt: the store failed to record an outcome the loop settled.
    kSettleFailed,
  };
  Kind kind = Kind::kFailed;
  std::string detail;      // why it failed (kFailed, kSentThenTimedOut, kStreamCut, kSettleFailed)
  bool timed_out = false;  // kFailed: by a timeout (the final error is then a 504)
  int status = 0;          // kRejected: the upstream's HTTP status
  std::string body;        // kAnswered (whole): the client's answer; kRejected: its error body
  bool streamed = false;   // the client's stream was started (events went out)
  TokenUsage usage;        // kAnswered, kStreamCut, kClientGone: reported, else estimated
  std::string provider;    // the provider that answered (kAnswered, kRejected, streams started)
  double ttft_ms = -1;     // request received -> first content byte; < 0: none
  double added_ms = -1;    // the gateway's own time (before the call, after the answer)
};

// How the HTTP status of a non-2xx upstream head classifies: kFailed (retryable: 5xx, 429,
// 408) or kRejected.
AttemptOutcome::Kind classify_status(int status);

// How a network failure classifies: kStreamCut once the stream started, kSentThenTimedOut when
// the whole request was sent before a timeout, else kFailed.
AttemptOutcome::Kind classify_network_failure(bool stream_started, bool request_sent,
                                              bool timed_out);

// How a protocol failure (an answer that is not one, an error event, a stream cut short or
// past its bounds) classifies: kStreamCut once the stream started, else kFailed.
AttemptOutcome::Kind classify_broken(bool stream_started);

struct AttemptDecision {
  enum class Step {
    kTryNext,           // next deployment (after the backoff); the loop's end gives 502/504
    kDeliver,           // settle, then send the answer (or the stream's usage chunk and [DONE])
    kPassRejection,     // settle, then send the upstream's own error
    kEndStreamError,    // settle, then the stream's error event
    kRecordClientGone,  // settle; nothing to write
    kRefuse,            // settle (nothing charged), then answer `error`
    kWithhold,          // the store failed: no retry, 503 store_unavailable (or its event)
  };
  Step step = Step::kTryNext;
  bool charge = false;        // the usage is charged (else the reservation is refunded whole)
  std::string record_status;  // the usage record's status; empty: no settle
  int record_http_status = 0;
};

AttemptDecision decide(const AttemptOutcome& outcome);

// The client's error for kRefuse (a request sent and then timed out at `provider`).
http::ApiError sent_then_timed_out_error(const std::string& provider);

// The client's error when the loop ran out of deployments: 503 when none could be tried, else
// 502 (504 when the last failure was a timeout) with the last failure.
http::ApiError no_deployment_answered(const std::string& model, int attempts,
                                      const std::string& last_error, bool last_timed_out);

// The client's error when the store failed to record the answer (kWithhold).
std::string store_unavailable_message();

}  // namespace junction::gateway
