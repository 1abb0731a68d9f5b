#include "core/memory_available.h"

#include <gtest/gtest.h>

namespace junction {
namespace {

TEST(MemAvailable, ReadsTheLineInKibibytes) {
  const char* meminfo =
      "MemTotal:       24576000 kB\n"
      "MemFree:         1000000 kB\n"
      "MemAvailable:   20000000 kB\n"
      "Buffers:          100000 kB\n";
  EXPECT_EQ(parse_mem_available(meminfo), uint64_t{20000000} * 1024);
}

TEST(MemAvailable, MissingOrMalformedLineIsUnknown) {
  EXPECT_EQ(parse_mem_available("MemTotal: 100 kB\nMemFree: 50 kB\n"), std::nullopt);
  EXPECT_EQ(parse_mem_available("MemAvailable: lots kB\n"), std::nullopt);
  EXPECT_EQ(parse_mem_available("MemAvailable: 12 MB\n"), std::nullopt);
  EXPECT_EQ(parse_mem_available("MemAvailable: 99999999999999999999999 kB\n"), std::nullopt);
  EXPECT_EQ(parse_mem_available(""), std::nullopt);
}

TEST(MemAvailable, ThisMachineHasSome) {
  const auto bytes = mem_available_bytes();
  ASSERT_TRUE(bytes.has_value());
  EXPECT_GT(*bytes, 0u);
}

}  // namespace
}  // namespace junction
