// Memory numbers from Prometheus text and /proc/PID/status.
#include "compare/memory_footprint.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace junction::compare {
namespace {

TEST(Prometheus, KeepsMemoryAndByteGaugesOnly) {
  const auto m = parse_prometheus_memory(
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes 1.2345e+09\n"
      "vllm:kv_cache_usage_perc{model_name=\"m\"} 0.5\n"
      "vllm:kv_cache_bytes{model_name=\"m a\"} 1024\n"
      "gpu_memory_used{gpu=\"0\"} 7e9 1712345678000\n"
      "request_bytes_bucket{le=\"1\"} 3\n"
      "request_bytes_sum 10\n");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_DOUBLE_EQ(m.at("process_resident_memory_bytes"), 1.2345e9);
  EXPECT_DOUBLE_EQ(m.at("vllm:kv_cache_bytes{model_name=\"m a\"}"), 1024);
  EXPECT_DOUBLE_EQ(m.at("gpu_memory_used{gpu=\"0\"}"), 7e9);  // timestamp ignored
}

TEST(ProcStatus, RssAndPeakInBytes) {
  const auto m = parse_proc_status(
      "Name:\tjunction\nVmPeak:\t  999999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rss_bytes, 1024 * 1024);
  EXPECT_EQ(m->peak_rss_bytes, 2048 * 1024);
  EXPECT_FALSE(parse_proc_status("Name:\tzombie\n").has_value());
}

TEST(ProcStatus, ReadsThisProcess) {
  const auto m = read_process_memory(getpid());
  ASSERT_TRUE(m.has_value());
  EXPECT_GT(m->rss_bytes, 0);
  EXPECT_GE(m->peak_rss_bytes, m->rss_bytes);
  EXPECT_FALSE(read_process_memory(-5).has_value());
}

}  // namespace
}  // namespace junction::compare
