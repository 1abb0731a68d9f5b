// The UTC calendar periods spend limits count in: a day number and a month number since the
// Unix epoch, computed from a Unix time so both stores (and their tests) agree on when a
// period rolls over. Pure: the caller passes the clock's reading.
#pragma once

#include <cstdint>

namespace junction::gateway {

// Days since 1970-01-01 UTC (floor, so times before the epoch get negative days).
int64_t utc_day(int64_t unix_ms);
// Months since January 1970 UTC: year * 12 + month - 1 - 1970 * 12.
int64_t utc_month(int64_t unix_ms);

}  // namespace junction::gateway
