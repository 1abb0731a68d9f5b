// The retry rule as a table: each outcome an attempt can come to, and what the loop does with
// it. Expected values are the contracts of gateway/README.md ("Retries happen only before the
// first byte reaches the client", "Streams never end in a silent truncation", "Money": a store
// failing mid-settle, a request sent and then timed out), written out by hand.
#include "gateway/attempt_outcome.h"

#include <gtest/gtest.h>

namespace junction::gateway {
namespace {

using Kind = AttemptOutcome::Kind;
using Step = AttemptDecision::Step;

AttemptDecision decide_kind(Kind kind, int status = 0) {
  AttemptOutcome o;
  o.kind = kind;
  o.status = status;
  return decide(o);
}

TEST(AttemptOutcome, AnAnswerIsChargedSettledAndDelivered) {
  const AttemptDecision d = decide_kind(Kind::kAnswered);
  EXPECT_EQ(d.step, Step::kDeliver);
  EXPECT_TRUE(d.charge);
  EXPECT_EQ(d.record_status, "ok");
  EXPECT_EQ(d.record_http_status, 200);
}

TEST(AttemptOutcome, AnUpstreamRefusalGoesBackAsItIsAndChargesNothing) {
  const AttemptDecision d = decide_kind(Kind::kRejected, 422);
  EXPECT_EQ(d.step, Step::kPassRejection);
  EXPECT_FALSE(d.charge);
  EXPECT_EQ(d.record_status, "upstream_rejected");
  EXPECT_EQ(d.record_http_status, 422);
}

TEST(AttemptOutcome, OnlyAFailureBeforeAnythingReachedTheClientIsRetried) {
  EXPECT_EQ(decide_kind(Kind::kFailed).step, Step::kTryNext);
  EXPECT_FALSE(decide_kind(Kind::kFailed).charge);
  for (Kind k : {Kind::kAnswered, Kind::kRejected, Kind::kSentThenTimedOut, Kind::kStreamCut,
                 Kind::kClientGone, Kind::kSettleFailed})
    EXPECT_NE(decide_kind(k).step, Step::kTryNext) << static_cast<int>(k);
}

TEST(AttemptOutcome, ARequestSentThenTimedOutIsA504NotRetriedAndNotCharged) {
  const AttemptDecision d = decide_kind(Kind::kSentThenTimedOut);
  EXPECT_EQ(d.step, Step::kRefuse);
  EXPECT_FALSE(d.charge);
  EXPECT_EQ(d.record_status, "error");
  EXPECT_EQ(d.record_http_status, 504);
  const http::ApiError e = sent_then_timed_out_error("far");
  EXPECT_EQ(e.status, 504);
  EXPECT_EQ(e.code, "upstream_timeout");
  EXPECT_NE(std::string(e.what()).find("far"), std::string::npos);
}

TEST(AttemptOutcome, AStreamCutAfterItStartedEndsWithTheErrorEventAndChargesWhatStreamed) {
  const AttemptDecision d = decide_kind(Kind::kStreamCut);
  EXPECT_EQ(d.step, Step::kEndStreamError);
  EXPECT_TRUE(d.charge);
  EXPECT_EQ(d.record_status, "upstream_error");
  EXPECT_EQ(d.record_http_status, 200);  // the client's stream had its 200 already
}

TEST(AttemptOutcome, AClientThatLeftIsChargedForWhatWasGenerated) {
  const AttemptDecision d = decide_kind(Kind::kClientGone);
  EXPECT_EQ(d.step, Step::kRecordClientGone);
  EXPECT_TRUE(d.charge);
  EXPECT_EQ(d.record_status, "client_disconnected");
  EXPECT_EQ(d.record_http_status, 499);
}

TEST(AttemptOutcome, AStoreFailingMidSettleWithholdsTheAnswerAndIsNotRetried) {
  const AttemptDecision d = decide_kind(Kind::kSettleFailed);
  EXPECT_EQ(d.step, Step::kWithhold);
  EXPECT_FALSE(d.charge);
  EXPECT_TRUE(d.record_status.empty());  // no second settle: the sweep closes it
  EXPECT_EQ(d.record_http_status, 503);
  EXPECT_NE(store_unavailable_message().find("withheld"), std::string::npos);
}

TEST(AttemptOutcome, StatusClassification) {
  for (int s : {500, 502, 503, 504, 529, 429, 408})
    EXPECT_EQ(classify_status(s), Kind::kFailed) << s;
  for (int s : {400, 401, 403, 404, 409, 413, 422})
    EXPECT_EQ(classify_status(s), Kind::kRejected) << s;
}

// Every combination of where a network failure happened: retried exactly when the client has
// nothing yet and the upstream cannot still be generating a billed answer.
TEST(AttemptOutcome, NetworkFailureClassificationOverEveryCase) {
  for (bool started : {false, true})
    for (bool sent : {false, true})
      for (bool timed_out : {false, true}) {
        const Kind k = classify_network_failure(started, sent, timed_out);
        const Kind want = started             ? Kind::kStreamCut
                          : sent && timed_out ? Kind::kSentThenTimedOut
                                              : Kind::kFailed;
        EXPECT_EQ(k, want) << started << sent << timed_out;
        AttemptOutcome o;
        o.kind = k;
        EXPECT_EQ(decide(o).step == Step::kTryNext, !started && !(sent && timed_out))
            << started << sent << timed_out;
      }
  EXPECT_EQ(classify_broken(false), Kind::kFailed);
  EXPECT_EQ(classify_broken(true), Kind::kStreamCut);
}

TEST(AttemptOutcome, TheErrorWhenNoDeploymentAnswered) {
  const http::ApiError none = no_deployment_answered("m", 0, "none", false);
  EXPECT_EQ(none.status, 503);
  EXPECT_EQ(none.code, "no_available_deployment");
  const http::ApiError failed = no_deployment_answered("m", 3, "p: HTTP 503", false);
  EXPECT_EQ(failed.status, 502);
  EXPECT_EQ(failed.code, "upstream_error");
  EXPECT_NE(std::string(failed.what()).find("3 attempts"), std::string::npos);
  EXPECT_NE(std::string(failed.what()).find("p: HTTP 503"), std::string::npos);
  const http::ApiError slow = no_deployment_answered("m", 2, "p: timed out", true);
  EXPECT_EQ(slow.status, 504);
  EXPECT_EQ(slow.code, "upstream_timeout");
}

}  // namespace
}  // namespace junction::gateway
