#include "gateway/reservation.h"

#include <cstdio>
#include <exception>

#include "gateway/checked_math.h"

namespace junction::gateway {

using http::ApiError;

Reservation::Reservation(Store& store, RateLimits& limits, const ApiKeyRecord& key,
                         std::string owner)
    : store_(store), limits_(limits), key_(key), owner_(std::move(owner)) {}

Reservation::~Reservation() {
  if (!held()) return;
  // Unsettled: refund in full. A destructor must not throw; a store failure here leaves the
  // reservation open for the sweep (abandon_reservations), which refunds it the same way.
  UsageRecord record;
  record.status = "error";
  record.http_status = 500;
  try {
    settle(record, -1);
  } catch (const SettleFailed& e) {
    std::fprintf(stderr, "junction gateway: %s: the reservation stays open: %s\n",
                 request_id_.c_str(), e.message.c_str());
  }
}

std::optional<Reservation::Refusal> Reservation::take(const ReservationSize& size,
                                                      const std::string& request_id,
                                                      const std::string& model, int64_t unix_ms,
                                                      int64_t monotonic_ms) {
  request_id_ = request_id;
  model_ = model;
  const RateDecision rate =
      limits_.acquire(key_.id, key_.rpm, key_.tpm, size.total_tokens, monotonic_ms);
  if (!rate.allowed) {
    const int64_t after_s = (rate.retry_after_ms + 999) / 1000;
    return Refusal{ApiError(429,
                            "Rate limit reached for this key (" + rate.limit + "); retry after " +
                                std::to_string(after_s) + " s",
                            "rate_limit_error", "", "rate_limit_exceeded"),
                   after_s};
  }
  ReservationRecord r;
  r.request_id = request_id;
  r.key_id = key_.id;
  r.model = model;
  r.owner = owner_;
  r.amount = size.cost;
  r.created_ms = unix_ms;
  ReserveResult result = ReserveResult::kNoSuchKey;
  try {
    result = store_.reserve(r);
  } catch (...) {
    limits_.adjust_tokens(key_.id, key_.tpm, -size.total_tokens, monotonic_ms);
    throw;
  }
  if (result == ReserveResult::kOk) {
    held_ = true;
    tokens_ = size.total_tokens;
    return std::nullopt;
  }
  limits_.adjust_tokens(key_.id, key_.tpm, -size.total_tokens, monotonic_ms);
  switch (result) {
    case ReserveResult::kInsufficientCredits:
      return Refusal{ApiError(402,
                              "Insufficient credits: this request may cost up to $" +
                                  std::to_string(nano_to_usd(size.cost)) +
                                  " (prompt and max_tokens at the model's price); lower "
                                  "max_tokens or add credits",
                              "insufficient_quota", "", "insufficient_credits")};
    case ReserveResult::kDailyLimit:
      return Refusal{ApiError(402, "This key's daily spend limit is reached", "insufficient_quota",
                              "", "daily_limit_reached")};
    case ReserveResult::kMonthlyLimit:
      return Refusal{ApiError(402, "This key's monthly spend limit is reached",
                              "insufficient_quota", "", "monthly_limit_reached")};
    default:
      return Refusal{
          ApiError(401, "Invalid API key", "authentication_error", "", "invalid_api_key")};
  }
}

void Reservation::settle(UsageRecord& record, int64_t monotonic_ms) {
  if (!held()) return;
  settled_ = true;
  record.request_id = request_id_;
  record.key_id = key_.id;
  if (record.model.empty()) record.model = model_;
  if (tokens_ > 0 && monotonic_ms >= 0) {
    // Clamped usage is at most twice the reservation's tokens: the sum is checked all the same.
    const auto used =
        (Checked(record.tokens.prompt_tokens) + record.tokens.completion_tokens).value();
    limits_.adjust_tokens(key_.id, key_.tpm, used.value_or(tokens_) - tokens_, monotonic_ms);
  }
  try {
    if (store_.settle(record) == SettleResult::kNotOpen)
      std::fprintf(stderr,
                   "junction gateway: %s: settled after its reservation was closed (abandoned "
                   "as too old): nothing charged\n",
                   request_id_.c_str());
  } catch (const std::exception& e) {
    throw SettleFailed{e.what()};
  }
}

}  // namespace junction::gateway
