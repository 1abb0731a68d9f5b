// Closes reservations that nothing will settle (store.h abandon_reservations): at start-up
// those this gateway instance's predecessor left (it was killed or its store failed mid-settle),
// then, every `sweep_every_s`, any older than `abandon_after_s` whoever took them. Each closed
// reservation is refunded in full and recorded as "abandoned", so the audit stays at zero
// drift and the key's limits are freed. A failing store is logged and tried at the next sweep.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/config.h"
#include "gateway/gateway_state.h"
#include "gateway/store.h"

namespace junction::gateway {

class ReservationSweeper {
 public:
  // Sweeps `instance`'s own reservations before returning, then starts the periodic thread.
  ReservationSweeper(Store& store, const LedgerConfig& config, const GatewayClock& clock,
                     const std::string& instance);
  ~ReservationSweeper();
  ReservationSweeper(const ReservationSweeper&) = delete;
  ReservationSweeper& operator=(const ReservationSweeper&) = delete;

 private:
  // Closes `owner`'s (empty: none) and every too old reservation; the number closed.
  int64_t sweep(const std::string& owner);
  void loop();

  Store& store_;
  LedgerConfig config_;
  const GatewayClock& clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace junction::gateway
