// How much memory this machine can still give a process: the kernel's MemAvailable estimate
// (free memory plus what it can reclaim from caches without swapping), from /proc/meminfo.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace junction {

// MemAvailable of a /proc/meminfo text, in bytes; nullopt when the line is missing or malformed.
std::optional<uint64_t> parse_mem_available(std::string_view meminfo);

// This machine's MemAvailable now; nullopt where /proc/meminfo cannot be read (not Linux).
std::optional<uint64_t> mem_available_bytes();

}  // namespace junction
