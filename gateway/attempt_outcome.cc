#include "gateway/attempt_outcome.h"

#include "gateway/retry_policy.h"

namespace junction::gateway {

using Kind = AttemptOutcome::Kind;
using Step = AttemptDecision::Step;

Kind classify_status(int status) {
  return retryable_status(status) ? Kind::kFailed : Kind::kRejected;
}

Kind classify_network_failure(bool stream_started, bool request_sent, bool timed_out) {
  if (stream_started) return Kind::kStreamCut;
  return request_sent && timed_out ? Kind::kSentThenTimedOut : Kind::kFailed;
}

Kind classify_broken(bool stream_started) {
  return stream_started ? Kind::kStreamCut : Kind::kFailed;
}

AttemptDecision decide(const AttemptOutcome& o) {
  switch (o.kind) {
    case Kind::kAnswered:
      return {Step::kDeliver, true, "ok", 200};
    case Kind::kRejected:
      return {Step::kPassRejection, false, "upstream_rejected", o.status};
    case Kind::kFailed:
      return {Step::kTryNext, false, "", 0};
    case Kind::kSentThenTimedOut:
      return {Step::kRefuse, false, "error", 504};
    case Kind::kStreamCut:
      // What was streamed is charged; the record's status says the upstream failed.
      return {Step::kEndStreamError, true, "upstream_error", 200};
    case Kind::kClientGone:
      return {Step::kRecordClientGone, true, "client_disconnected", 499};
    case Kind::kSettleFailed:
      // No settle to try again: the reservation stays open for the sweep.
      return {Step::kWithhold, false, "", 503};
  }
  return {Step::kTryNext, false, "", 0};
}

http::ApiError sent_then_timed_out_error(const std::string& provider) {
  return http::ApiError(504,
                        "The upstream " + provider +
                            " did not answer in time; not retried on another deployment, which "
                            "would pay for the same answer twice. Nothing was charged.",
                        "server_error", "", "upstream_timeout");
}

http::ApiError no_deployment_answered(const std::string& model, int attempts,
                                      const std::string& last_error, bool last_timed_out) {
  if (attempts == 0)
    return http::ApiError(503,
                          "No deployment of '" + model +
                              "' is available (circuits open, or none matches the provider "
                              "preferences)",
                          "server_error", "", "no_available_deployment");
  const int status = last_timed_out ? 504 : 502;
  return http::ApiError(
      status,
      "Every deployment failed (" + std::to_string(attempts) + " attempts); last: " + last_error,
      "server_error", "", status == 504 ? "upstream_timeout" : "upstream_error");
}

std::string store_unavailable_message() {
  return "The gateway could not record this request's usage (its store failed), so the answer "
         "is withheld and nothing is charged; retry later";
}

}  // namespace junction::gateway
