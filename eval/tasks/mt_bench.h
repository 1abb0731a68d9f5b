// MT-Bench single-answer grading as FastChat's llm_judge does it (gen_model_answer.py,
// gen_judgment.py, show_result.py): two turns per question at the category's temperature, a
// judge model scoring each turn with the dataset's judge prompts (math/reasoning/coding with
// the GPT-4 reference answers), `[[rating]]` extraction, and means over turns.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace junction::eval {

struct MtBenchQuestion {
  int question_id = 0;
  std::string category;
  std::vector<std::string> turns;      // 2
  std::vector<std::string> reference;  // reference answer per turn (math/reasoning/coding)
};

struct JudgePrompt {
  std::string name;  // "single-v1", "single-math-v1-multi-turn", ...
  std::string system_prompt;
  std::string prompt_template;  // Python str.format fields: {question}, {answer_1}, ...
};

struct MtBenchData {
  std::vector<MtBenchQuestion> questions;
  std::map<std::string, JudgePrompt> judge_prompts;
  std::vector<std::filesystem::path> files;
};

// mt_bench/question.jsonl, mt_bench/judge_prompts.jsonl, mt_bench/reference_answer/gpt-4.jsonl.
MtBenchData load_mt_bench(const std::filesystem::path& data_dir);

// FastChat's temperature_config: writing/roleplay 0.7, stem/humanities 0.1, the rest 0.
double mt_bench_temperature(const std::string& category);
// NEED_REF_CATS: math, reasoning, coding (judged against the reference answer).
bool mt_bench_needs_reference(const std::string& category);
// "single-v1" / "single-math-v1", with "-multi-turn" for turn 2 (turn counted from 1).
std::string mt_bench_judge_name(const std::string& category, int turn);

// The judge's user message: Python str.format of the template ({name} fields, {{ }} escapes).
// Throws junction::Error naming a field that `fields` lacks.
std::string format_judge_prompt(const std::string& prompt_template,
                                const std::map<std::string, std::string>& fields);

// The judge messages for `turn` (1 or 2) of a question given the model's answers.
struct JudgeRequest {
  std::string system_prompt;
  std::string user_prompt;
  std::string judge_name;
};
JudgeRequest mt_bench_judge_request(const MtBenchData& data, const MtBenchQuestion& q, int turn,
                                    const std::vector<std::string>& answers);

// FastChat: the first "[[x]]" (x a number), else the first "[x]"; nullopt (FastChat's -1) if none.
std::optional<double> extract_rating(const std::string& judgment);

struct MtBenchScore {
  int question_id = 0;
  std::string category;
  int turn = 1;
  std::optional<double> rating;  // nullopt: the judge gave none (excluded, as FastChat's -1)
};

struct MtBenchSummary {
  double overall = 0;  // mean over every rated turn
  std::optional<double> turn1, turn2;
  std::map<std::string, double> per_category;  // mean over both turns
  int64_t rated = 0, unrated = 0;
};

MtBenchSummary summarize_mt_bench(const std::vector<MtBenchScore>& scores);

}  // namespace junction::eval
