#include "gateway/spend_period.h"

#include <chrono>

namespace junction::gateway {

int64_t utc_day(int64_t unix_ms) {
  constexpr int64_t kDayMs = 86'400'000;
  return unix_ms >= 0 ? unix_ms / kDayMs : -((-unix_ms + kDayMs - 1) / kDayMs);
}

int64_t utc_month(int64_t unix_ms) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{utc_day(unix_ms)}}};
  return (int64_t{static_cast<int>(ymd.year())} - 1970) * 12 +
         static_cast<int64_t>(static_cast<unsigned>(ymd.month())) - 1;
}

}  // namespace junction::gateway
