// MT-Bench judging as FastChat does it: rating extraction, judge prompt formatting with the
// dataset's prompts, category settings, and show_result.py's aggregation, by hand.
#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/tasks/mt_bench.h"

namespace junction::eval {
namespace {

const std::string kData = std::string(JUNCTION_TEST_DATA) + "/eval/datasets";

TEST(MtBench, RatingExtraction) {
  EXPECT_EQ(extract_rating("The answer is fine. Rating: [[5]]"), 5.0);
  EXPECT_EQ(extract_rating("Rating: [[8.5]]"), 8.5);
  EXPECT_EQ(extract_rating("first [7], then [[9]]"), 9.0);  // [[x]] wins over [x]
  EXPECT_EQ(extract_rating("backup form [3] and [4]"), 3.0);
  EXPECT_EQ(extract_rating("Rating: 7/10"), std::nullopt);  // FastChat's -1
  EXPECT_EQ(extract_rating("[[ten]]"), std::nullopt);
  EXPECT_EQ(extract_rating("[[5.]] [[6]]"), 5.0);    // \d+\.?\d*: "5." is a number
  EXPECT_EQ(extract_rating("[[.5]] [2.25]"), 2.25);  // "[[.5]]" is not one
  EXPECT_EQ(extract_rating("[[1.2.3]] [[4"), std::nullopt);
}

// A judge is a model, and its answer outside input: a rating too large for a double is no
// rating (std::stod threw std::out_of_range), and a long run of digits (std::regex recursed
// once per character) or of brackets is read in one pass.
TEST(MtBench, RatingExtractionOnHostileJudgments) {
  EXPECT_EQ(extract_rating("[[" + std::string(400, '9') + "]]"), std::nullopt);
  EXPECT_EQ(extract_rating("[" + std::string(400, '9') + "] [[7]]"), 7.0);
  EXPECT_EQ(extract_rating("[[" + std::string(1 << 20, '1')), std::nullopt);
  EXPECT_EQ(extract_rating(std::string(1 << 20, '[') + "3]"), 3.0);
}

TEST(MtBench, AggregationExcludesUnratedTurns) {
  const std::vector<MtBenchScore> scores = {{81, "writing", 1, 8.0},
                                            {81, "writing", 2, 6.0},
                                            {111, "math", 1, 3.0},
                                            {111, "math", 2, std::nullopt}};
  const MtBenchSummary s = summarize_mt_bench(scores);
  EXPECT_NEAR(s.overall, (8.0 + 6.0 + 3.0) / 3.0, 1e-12);
  EXPECT_NEAR(*s.turn1, 5.5, 1e-12);
  EXPECT_NEAR(*s.turn2, 6.0, 1e-12);
  EXPECT_NEAR(s.per_category.at("writing"), 7.0, 1e-12);
  EXPECT_NEAR(s.per_category.at("math"), 3.0, 1e-12);
  EXPECT_EQ(s.rated, 3);
  EXPECT_EQ(s.unrated, 1);
}

TEST(MtBench, CategorySettings) {
  EXPECT_EQ(mt_bench_temperature("writing"), 0.7);
  EXPECT_EQ(mt_bench_temperature("roleplay"), 0.7);
  EXPECT_EQ(mt_bench_temperature("stem"), 0.1);
  EXPECT_EQ(mt_bench_temperature("humanities"), 0.1);
  EXPECT_EQ(mt_bench_temperature("math"), 0.0);
  EXPECT_EQ(mt_bench_temperature("extraction"), 0.0);
  EXPECT_EQ(mt_bench_judge_name("coding", 1), "single-math-v1");
  EXPECT_EQ(mt_bench_judge_name("reasoning", 2), "single-math-v1-multi-turn");
  EXPECT_EQ(mt_bench_judge_name("writing", 2), "single-v1-multi-turn");
}

TEST(MtBench, PythonFormatFields) {
  EXPECT_EQ(format_judge_prompt("{{x}} {question}!", {{"question", "Q"}}), "{x} Q!");
  EXPECT_THROW(format_judge_prompt("{missing}", {}), Error);
}

TEST(MtBench, JudgeRequestsFromTheDatasetPrompts) {
  const MtBenchData data = load_mt_bench(kData);
  ASSERT_EQ(data.questions.size(), 8u);  // the first question of each category
  const MtBenchQuestion* math = nullptr;
  const MtBenchQuestion* writing = nullptr;
  for (const auto& q : data.questions) {
    if (q.category == "math") math = &q;
    if (q.category == "writing") writing = &q;
  }
  ASSERT_TRUE(math && writing);
  ASSERT_EQ(math->reference.size(), 2u);
  const JudgeRequest w1 = mt_bench_judge_request(data, *writing, 1, {"ANSWER-1", "ANSWER-2"});
  EXPECT_EQ(w1.system_prompt, "You are a helpful assistant.");
  EXPECT_NE(w1.user_prompt.find("[Question]\n" + writing->turns[0] +
                                "\n\n[The Start of Assistant's Answer]\nANSWER-1\n"),
            std::string::npos);
  const JudgeRequest m2 = mt_bench_judge_request(data, *math, 2, {"A1", "A2"});
  EXPECT_EQ(m2.judge_name, "single-math-v1-multi-turn");
  EXPECT_NE(m2.user_prompt.find("### Reference answer:\n" + math->reference[1]), std::string::npos);
  EXPECT_NE(m2.user_prompt.find("### Assistant A:\nA2\n"), std::string::npos);
  EXPECT_EQ(m2.user_prompt.find('{'), m2.user_prompt.find("{"));  // no unfilled field left
  EXPECT_EQ(m2.user_prompt.find("{question_1}"), std::string::npos);
}

}  // namespace
}  // namespace junction::eval
