// QualityScores reads `junction eval` result files; the file below is tests/data/compare's
// eval-alpha.json shape, values read off it by hand.
#include "gateway/quality_scores.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "gateway/gateway_state.h"

namespace junction::gateway {
namespace {

const char* kAlpha = R"({
  "junction_eval_format": 1, "model": "alpha-8b",
  "tasks": {
    "mmlu": {"metrics": {"acc": {"value": 0.6525, "stderr": 0.0038, "n": 57},
                         "acc_weighted": {"value": 0.6411, "n": 14042}}},
    "hellaswag": {"metrics": {"acc": {"value": 0.6}, "acc_norm": {"value": 0.7871}}},
    "truthfulqa_mc2": {"metrics": {"mc2": {"value": 0.5412}}},
    "gsm8k": {"metrics": {"cons@4": {"value": 0.8}, "pass@4": {"value": 0.9}}},
    "mt_bench": {"metrics": {"score": {"value": 7.4125, "n": 160}, "unrated_turns": 0}}
  }})";

TEST(QualityScores, ReadsTaskAndMetricAndTheHeadlineMetric) {
  QualityScores s;
  s.add(nlohmann::json::parse(kAlpha), "alpha.json");
  EXPECT_EQ(s.score("alpha-8b", "mmlu"), 0.6525);
  EXPECT_EQ(s.score("alpha-8b", "mmlu/acc_weighted"), 0.6411);
  EXPECT_EQ(s.score("alpha-8b", "hellaswag"), 0.6);
  EXPECT_EQ(s.score("alpha-8b", "hellaswag/acc_norm"), 0.7871);
  EXPECT_EQ(s.score("alpha-8b", "truthfulqa_mc2"), 0.5412);
  EXPECT_EQ(s.score("alpha-8b", "mt_bench"), 7.4125);
  // Two metrics, neither a headline one: the task alone is ambiguous.
  EXPECT_EQ(s.score("alpha-8b", "gsm8k"), std::nullopt);
  EXPECT_EQ(s.score("alpha-8b", "gsm8k/pass@4"), 0.9);
  EXPECT_EQ(s.score("alpha-8b", "arc_easy"), std::nullopt);
  EXPECT_EQ(s.score("alpha-8b", "mmlu/nope"), std::nullopt);
  EXPECT_EQ(s.score("beta", "mmlu"), std::nullopt);
}

TEST(QualityScores, LaterFileReplacesAnEarlierScore) {
  QualityScores s;
  s.add(nlohmann::json::parse(kAlpha), "a.json");
  s.add(nlohmann::json::parse(
            R"({"model": "alpha-8b", "tasks": {"mmlu": {"metrics": {"acc": {"value": 0.7}}}}})"),
        "b.json");
  EXPECT_EQ(s.score("alpha-8b", "mmlu"), 0.7);
  EXPECT_EQ(s.score("alpha-8b", "hellaswag"), 0.6);
}

TEST(QualityScores, NotAResultFileIsAClearError) {
  for (const char* bad :
       {R"([1, 2])", R"({"tasks": {}})", R"({"model": "m"})", R"({"model": "m", "tasks": {}})",
        R"({"model": "m", "tasks": {"mmlu": {"metrics": {"acc": {"value": "high"}}}}})",
        R"({"model": "m", "tasks": {"mmlu": 3}})"}) {
    QualityScores s;
    try {
      s.add(nlohmann::json::parse(bad), "r.json");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("r.json: not a junction eval result file"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(QualityScores, LoadNamesTheFileThatCannotBeReadOrParsed) {
  const auto dir = std::filesystem::temp_directory_path() / "junction_quality_scores_test";
  std::filesystem::create_directories(dir);
  const std::string broken = (dir / "broken.json").string();
  std::ofstream(broken) << "{not json";
  EXPECT_THROW(
      {
        try {
          load_quality_scores({broken});
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find(broken + ": invalid JSON"), std::string::npos);
          throw;
        }
      },
      Error);
  const std::string missing = (dir / "missing.json").string();
  EXPECT_THROW(
      {
        try {
          load_quality_scores({missing});
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("cannot read " + missing), std::string::npos);
          throw;
        }
      },
      Error);
  std::filesystem::remove_all(dir);
}

// The gateway does not start on a bad result file or an unknown auto candidate: GatewayState
// (built before the listener opens) throws naming it.
TEST(QualityScores, GatewayStateRefusesABadFileOrCandidateAtStartUp) {
  const auto dir = std::filesystem::temp_directory_path() / "junction_quality_state_test";
  std::filesystem::create_directories(dir);
  const std::string bad = (dir / "bad.json").string();
  std::ofstream(bad) << R"({"model": "m", "tasks": {"mmlu": {"metrics": {"acc": {}}}}})";
  GatewayConfig c;
  c.routing.quality = {bad};
  try {
    GatewayState state(c, nullptr, GatewayClock::system());
    ADD_FAILURE() << "started with a bad result file";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "routing.quality: " + bad + ": not a junction eval result file: no metric values");
  }
  c.routing.quality.clear();
  c.routing.auto_routing.candidates = {"ghost"};
  try {
    GatewayState state(c, nullptr, GatewayClock::system());
    ADD_FAILURE() << "started with an unknown candidate";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "routing.auto: candidate 'ghost' is not a configured model");
  }
  // A named pool: its candidates are checked here too (catalogue models join after the YAML).
  c.routing.auto_routing.candidates.clear();
  RoutedModel m;
  m.name = "m";
  c.models = {m};
  c.pools = {AutoPool{"fast", {{"m", "ghost"}, "mmlu", 0.5}, 1}};
  try {
    GatewayState state(c, nullptr, GatewayClock::system());
    ADD_FAILURE() << "started with an unknown pool candidate";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "the auto pool 'fast': candidate 'ghost' is not a configured model");
  }
  c.pools = {AutoPool{"m", {{"m"}, "mmlu", 0.5}, 1}};
  try {
    GatewayState state(c, nullptr, GatewayClock::system());
    ADD_FAILURE() << "started with a pool named like a model";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "the auto pool 'm' has the name of a model");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace junction::gateway
