// A request's hold on its key's rate limits and credits, from admission to settlement, as one
// object: take() acquires the rate-limit tokens and reserves the worst-case cost in the store
// (both or neither); settle() records what the request used, exactly once, and gives back the
// rate-limit tokens it did not use. A Reservation destroyed unsettled (a path that returned or
// threw without settling) refunds in full: nothing is charged that the gateway did not account
// for. Should the store fail then, or in settle(), the reservation stays open in the database,
// where the audit counts it and abandon_reservations() later closes it: the ledger adds up
// either way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/rate_limiter.h"
#include "gateway/reservation_size.h"
#include "gateway/store.h"
#include "http/api_error.h"

namespace junction::gateway {

// The store failed while settling: not an upstream failure (the caller must not try another
// deployment, which would be paid for a second time), and the answer must not reach the client
// without its usage record.
struct SettleFailed {
  std::string message;
};

class Reservation {
 public:
  // Why take() held nothing: the client's error, with Retry-After seconds for a rate limit.
  struct Refusal {
    http::ApiError error;
    int64_t retry_after_s = -1;  // < 0: none
  };

  // `owner`: this gateway instance's name (store.h ReservationRecord::owner).
  Reservation(Store& store, RateLimits& limits, const ApiKeyRecord& key, std::string owner);
  ~Reservation();
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;

  // Takes `size`'s tokens from the key's rate limits and its cost from its credits, for the
  // request `request_id` of public model `model`; nullopt once both are held, else the
  // refusal (nothing held). Times: Unix ms (the spend periods), monotonic ms (rate limits).
  std::optional<Refusal> take(const ReservationSize& size, const std::string& request_id,
                              const std::string& model, int64_t unix_ms, int64_t monotonic_ms);
  bool held() const { return held_ && !settled_; }

  // Settles once: `record` (its request id and key set by take()) is stored with its cost,
  // which the store holds within the reservation, and the rest refunded; the rate-limit tokens
  // move to what the record used. Later calls, and calls on a reservation never taken, store
  // nothing. Throws SettleFailed when the store fails.
  void settle(UsageRecord& record, int64_t monotonic_ms);

 private:
  Store& store_;
  RateLimits& limits_;
  const ApiKeyRecord& key_;
  std::string owner_;
  std::string request_id_, model_;
  int64_t tokens_ = 0;  // rate-limit tokens held
  bool held_ = false, settled_ = false;
};

}  // namespace junction::gateway
