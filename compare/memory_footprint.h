// Where a served model's memory can be seen from outside: the server's Prometheus /metrics
// (vLLM and others export process_resident_memory_bytes and similar gauges; any series whose
// name speaks of memory or bytes is kept), /v1/models metadata (llama.cpp's "meta.size": the
// model's bytes) and, for a process on this machine, /proc/PID/status (VmRSS now, VmHWM the
// peak). Parsing is pure; reading the files and URLs is the caller's.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace junction::compare {

// Series "name{labels}" -> value for every sample line whose metric name contains "memory" or
// "bytes", histogram and summary parts (_bucket, _sum, _count) left out.
std::map<std::string, double> parse_prometheus_memory(std::string_view text);

struct ProcessMemory {
  int64_t rss_bytes = 0;       // VmRSS // bytes
  int64_t peak_rss_bytes = 0;  // VmHWM // bytes
};
// The VmRSS and VmHWM lines of /proc/PID/status ("VmRSS:   123456 kB"); nullopt without them.
std::optional<ProcessMemory> parse_proc_status(std::string_view text);
// Reads /proc/PID/status; nullopt when the process is gone or unreadable.
std::optional<ProcessMemory> read_process_memory(int64_t pid);

}  // namespace junction::compare
