#include "gateway/reservation_sweeper.h"

#include <chrono>
#include <cstdio>
#include <exception>

namespace junction::gateway {

ReservationSweeper::ReservationSweeper(Store& store, const LedgerConfig& config,
                                       const GatewayClock& clock, const std::string& instance)
    : store_(store), config_(config), clock_(clock) {
  sweep(instance);
  thread_ = std::thread([this] { loop(); });
}

ReservationSweeper::~ReservationSweeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int64_t ReservationSweeper::sweep(const std::string& owner) {
  const int64_t now = clock_.unix_ms();
  try {
    const int64_t closed =
        store_.abandon_reservations(owner, now - config_.abandon_after_s * 1000, now);
    if (closed > 0)
      std::fprintf(stderr,
                   "junction gateway: closed %lld reservation(s) nothing settled (%s), refunded "
                   "in full and recorded as abandoned\n",
                   static_cast<long long>(closed),
                   owner.empty() ? "too old" : ("left by an earlier " + owner).c_str());
    return closed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "junction gateway: sweeping abandoned reservations failed: %s\n",
                 e.what());
    return 0;
  }
}

void ReservationSweeper::loop() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::seconds(config_.sweep_every_s),
                         [&] { return stopping_; })) {
    lock.unlock();
    sweep("");
    lock.lock();
  }
}

}  // namespace junction::gateway
