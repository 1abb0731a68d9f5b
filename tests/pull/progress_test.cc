#include "pull/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace junction::pull {
namespace {

TEST(Progress, FormatsBytesAndDurations) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(999), "999 B");
  EXPECT_EQ(format_bytes(1500), "1.50 kB");
  EXPECT_EQ(format_bytes(45'100'000), "45.1 MB");
  EXPECT_EQ(format_bytes(4'920'000'000), "4.92 GB");
  EXPECT_EQ(format_bytes(512'000'000'000), "512 GB");
  EXPECT_EQ(format_duration(42), "42s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
}

TEST(Progress, BarShowsBytesPercentRateAndEta) {
  const ProgressSnapshot s{"DeepSeek-R1-0528-Qwen3-8B-Q4_K_M.gguf", 1'250'000'000, 5'000'000'000,
                           50e6};
  const std::string bar = format_progress_bar(s, 100);
  EXPECT_LE(bar.size(), 100u);
  EXPECT_NE(bar.find("1.25 GB / 5.00 GB"), std::string::npos) << bar;
  EXPECT_NE(bar.find(" 25%"), std::string::npos) << bar;
  EXPECT_NE(bar.find("50.0 MB/s"), std::string::npos) << bar;
  EXPECT_NE(bar.find("ETA 1m15s"), std::string::npos) << bar;
  EXPECT_NE(bar.find("[#"), std::string::npos) << bar;
  // Narrow terminals shorten the name, never the numbers.
  const std::string narrow = format_progress_bar(s, 70);
  EXPECT_LE(narrow.size(), 70u);
  EXPECT_NE(narrow.find("ETA"), std::string::npos) << narrow;
  // Unknown size: no percent, no bar.
  const std::string unknown = format_progress_bar({"f", 2000, std::nullopt, 1e6}, 80);
  EXPECT_EQ(unknown.find('%'), std::string::npos) << unknown;
  EXPECT_EQ(unknown.find('['), std::string::npos) << unknown;
}

TEST(Progress, LogLineIsKeyValue) {
  EXPECT_EQ(format_progress_log({"m.gguf", 250, 1000, 2e6}),
            "pull file=m.gguf bytes=250 total=1000 pct=25.0 mb_per_s=2.0");
  EXPECT_EQ(format_progress_log({"m.gguf", 250, std::nullopt, 0}),
            "pull file=m.gguf bytes=250 mb_per_s=0.0");
  EXPECT_EQ(format_progress_log({"q.gguf", 250, 1000, 2e6}, "quantize type=q4_k_m"),
            "quantize type=q4_k_m file=q.gguf bytes=250 total=1000 pct=25.0 mb_per_s=2.0");
}

TEST(Progress, ReporterWritesLogLinesWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressReporter r(f, /*terminal=*/false, 100, std::chrono::hours(1));
    r.begin("m.gguf", 100, 1000);
    for (int i = 0; i < 9; ++i) r.advance(100);  // within the interval: no lines
    r.end();
  }
  std::rewind(f);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), f));
  std::fclose(f);
  EXPECT_EQ(text.find("pull file=m.gguf bytes=100 total=1000 pct=10.0"), 0u) << text;
  EXPECT_NE(text.find("pull file=m.gguf bytes=1000 total=1000 pct=100.0"), std::string::npos)
      << text;
  EXPECT_NE(text.find(" done seconds="), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
}

}  // namespace
}  // namespace junction::pull
