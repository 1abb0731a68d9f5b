// junction compare's table and HTML from the hand-written result files in tests/data/compare
// (see its README.md for what each file exercises).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "compare/comparison.h"
#include "compare/report_html.h"
#include "compare/report_markdown.h"
#include "compare/svg_chart.h"
#include "core/error.h"

namespace junction::compare {
namespace {

const std::string kData = std::string(JUNCTION_TEST_DATA) + "/compare/";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Comparison fixture_comparison() {
  std::vector<std::pair<std::string, Json>> files;
  for (const char* name :
       {"eval-alpha.json", "bench-alpha.json", "eval-beta.json", "bench-beta.json"})
    files.emplace_back(name, Json::parse(read(kData + name)));
  return build_comparison(files);
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

TEST(Comparison, OneRowPerModelWithEvalAndBenchMerged) {
  const Comparison c = fixture_comparison();
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].label, "alpha-8b");
  EXPECT_EQ(c.rows[1].label, "beta-7b");  // "/v1" stripped: eval and bench endpoints agree
  EXPECT_EQ(c.rows[0].files.size(), 2u);
  EXPECT_DOUBLE_EQ(*c.rows[0].quality[0].value, 65.25);
  EXPECT_DOUBLE_EQ(*c.rows[0].ttft_ms.value, 42.5);  // the concurrency-1 level, not the first
  EXPECT_DOUBLE_EQ(*c.rows[0].throughput.value, 313.6);
  EXPECT_EQ(c.rows[0].throughput.detail, "c=16");
  EXPECT_DOUBLE_EQ(*c.rows[1].ttft_ms.value, 60.0);  // the lightest rate
  EXPECT_FALSE(c.rows[1].quality[1].value.has_value());
}

TEST(Comparison, SameModelAtTwoEndpointsGetsTwoLabelledRows) {
  Json a = Json::parse(read(kData + "bench-alpha.json"));
  Json b = a;
  b["endpoint"] = "http://127.0.0.1:9090/v1";
  const Comparison c = build_comparison({{"a.json", a}, {"b.json", b}});
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].label, "alpha-8b @ http://127.0.0.1:8080");
  EXPECT_EQ(c.rows[1].label, "alpha-8b @ http://127.0.0.1:9090");
}

TEST(Comparison, GenerativeScoresGetColumnsOfTheirOwn) {
  const Comparison plain = fixture_comparison();
  ASSERT_EQ(plain.columns.size(), 6u);  // no generative results: no generative columns
  const Comparison c =
      build_comparison({{"eval-alpha.json", Json::parse(read(kData + "eval-alpha.json"))},
                        {"gamma.json", Json::parse(read(kData + "eval-gamma-generative.json"))}});
  std::vector<std::string> headers;
  for (const QualityColumn& col : c.columns) headers.push_back(col.header);
  EXPECT_EQ(headers,
            (std::vector<std::string>{"MMLU", "HellaSwag", "ARC", "TruthfulQA", "HumanEval pass@1",
                                      "MT-Bench", "MMLU (generative)", "ARC (generative)"}));
  ASSERT_EQ(c.rows.size(), 2u);
  const ModelRow& alpha = c.rows[0];
  const ModelRow& gamma = c.rows[1];
  ASSERT_EQ(gamma.quality.size(), 8u);
  EXPECT_FALSE(gamma.quality[0].value.has_value()) << "a generative MMLU in the lm-eval column";
  EXPECT_FALSE(gamma.quality[2].value.has_value());
  EXPECT_DOUBLE_EQ(*gamma.quality[6].value, 71.0);
  EXPECT_DOUBLE_EQ(*gamma.quality[7].value, 87.5);
  EXPECT_DOUBLE_EQ(*alpha.quality[0].value, 65.25);
  EXPECT_FALSE(alpha.quality[6].value.has_value());
  ASSERT_EQ(gamma.quality[6].notes.size(), 1u);
  EXPECT_NE(gamma.quality[6].notes[0].find("after </think>"), std::string::npos);
  const std::string md = render_markdown(c);
  EXPECT_NE(md.find("| MMLU (generative) | ARC (generative) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| gamma-r1 | — | — | — | — | — | — | 71.0 [2] | 87.5 [2] |"),
            std::string::npos)
      << md;
}

// One reasoning model through two providers, each run with its own sampling settings: the
// sampled columns appear (AMC, which neither ran, does not), each cell pass@1 ± stderr followed
// by cons@k, pass@k, mean reasoning tokens and the share cut off, and a note per run with its
// k, temperature, top-p and token limit. Cell texts worked out by hand from the two files.
TEST(Comparison, SampledMathColumnsWithTheSettingsEachRunUsed) {
  const Comparison c =
      build_comparison({{"a.json", Json::parse(read(kData + "eval-r1-provider-a.json"))},
                        {"b.json", Json::parse(read(kData + "eval-r1-provider-b.json"))}});
  std::vector<std::string> headers;
  for (const QualityColumn& col : c.columns) headers.push_back(col.header);
  EXPECT_EQ(headers,
            (std::vector<std::string>{"MMLU", "HellaSwag", "ARC", "TruthfulQA", "HumanEval pass@1",
                                      "MT-Bench", "AIME 2024 pass@1", "GSM8K pass@1"}));
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(*c.rows[0].quality[6].value, 86.0);
  EXPECT_DOUBLE_EQ(*c.rows[0].quality[6].stderr_value, 5.0);
  EXPECT_DOUBLE_EQ(*c.rows[1].quality[6].value, 77.5);
  EXPECT_FALSE(c.rows[1].quality[7].value.has_value());
  EXPECT_EQ(c.notes,
            (std::vector<std::string>{
                "AIME 2024 pass@1: 16 samples per problem at T=0.6, top-p 0.95, up to "
                "65536 generated tokens.",
                "AIME 2024 pass@1 reasoning tokens per sample: median 13800, p90 24000.",
                "GSM8K pass@1: 1 sample per problem at T=0.6, top-p 0.95, up to 32768 "
                "generated tokens.",
                "GSM8K pass@1 reasoning tokens per sample: median 700, p90 1500.",
                "AIME 2024 pass@1: 4 samples per problem at T=0.6, top-p 0.95, up to "
                "32768 generated tokens.",
                "AIME 2024 pass@1 reasoning tokens per sample: median 11000, p90 20000."}));
  const std::string md = render_markdown(c);
  EXPECT_NE(md.find("| Model | MMLU | HellaSwag | ARC | TruthfulQA | HumanEval pass@1 | MT-Bench | "
                    "AIME 2024 pass@1 | GSM8K pass@1 | Latency TTFT / TPOT (ms) | Throughput "
                    "(tok/s) | Memory |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| r1-0528-qwen3-8b @ http://10.0.0.5:4000 | — | — | — | — | — | — | 86.0 ± "
                    "5.0 (cons@16 90.0, pass@16 93.3; 14523 reasoning tok, 1.9% cut off) [1,2] | "
                    "95.5 ± 0.6 (cons@1 95.5; 812 reasoning tok, 0.0% cut off) [3,4] | — | — | — "
                    "|"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| r1-0528-qwen3-8b @ http://10.0.0.6:4000 | 70.0 | — | — | — | — | — | 77.5 "
                    "± 6.0 (cons@4 83.3, pass@4 90.0; 12001 reasoning tok, 5.0% cut off) [5,6] | "
                    "— | — | — | — |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- AIME 2024 pass@1: zero-shot chat in the DeepSeek-R1 card's form"),
            std::string::npos)
      << md;
}

TEST(Comparison, RefusesFilesOfNeitherFormat) {
  EXPECT_THROW(build_comparison({{"x.json", Json{{"model", "m"}}}}), Error);
}

TEST(Markdown, MatchesTheHandCheckedTable) {
  EXPECT_EQ(render_markdown(fixture_comparison()), read(kData + "expected.md"));
}

TEST(Html, SelfContainedWithChartsForEveryMeasuredBenchmark) {
  const std::string html = render_html(fixture_comparison(), {"Fixture report", "2025-01-01"});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Nothing fetched: no external sources or links, a CSP that forbids them anyway.
  EXPECT_EQ(html.find("src=\""), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  // Six quality charts (every column has a value somewhere) and three serving curves.
  EXPECT_EQ(count(html, "<svg class=\"chart bar-chart\""), 6u);
  EXPECT_EQ(count(html, "<svg class=\"chart line-chart\""), 3u);
  EXPECT_EQ(count(html, "class=\"bar\""), 8u);  // alpha 6 + beta 2 (MMLU, HumanEval)
  EXPECT_EQ(count(html, ">not measured<"), 4u);
  EXPECT_NE(html.find("id=\"note-1\""), std::string::npos);
}

TEST(Svg, NiceTicksAndEscaping) {
  EXPECT_EQ(nice_ticks(100, 5), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  // The step is the smallest 1, 2, 5 or 10 times a power of ten >= max / target:
  // 313.6 / 6 = 52.3 -> 100; 0.9 / 4 = 0.225 -> 0.5.
  EXPECT_EQ(nice_ticks(313.6, 6), (std::vector<double>{0, 100, 200, 300, 400}));
  EXPECT_EQ(nice_ticks(0.9, 4), (std::vector<double>{0, 0.5, 1}));
  EXPECT_EQ(nice_ticks(0, 5), (std::vector<double>{0, 1}));
  EXPECT_EQ(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
  const std::string svg = svg_bar_chart({{"<m>", 50.0, std::nullopt, "#123456"}}, "%", 1, 100.0);
  EXPECT_NE(svg.find("&lt;m&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<m>"), std::string::npos);
}

}  // namespace
}  // namespace junction::compare
