// The math reasoning tasks: AIME 2024 (30 problems, integer answers), AMC 12 2023 (40, numeric)
// and GSM8K's test split (1,319, the number after "####"), read from the JSONL files
// Qwen2.5-Math's evaluation packages (shared/datasets/{aime24,amc23,gsm8k}/test.jsonl), and the
// zero-shot chat prompt the DeepSeek-R1 card recommends for math: the problem, then "Please
// reason step by step, and put your final answer within \boxed{}." (no system prompt).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace junction::eval {

struct MathProblem {
  std::string id;        // the file's id (AIME, AMC) or line number (GSM8K)
  std::string question;  // the problem statement
  std::string gold;      // the reference answer as text ("204", "27", "1,600")
};

struct MathTask {
  std::string name;  // aime24, amc23, gsm8k
  std::vector<MathProblem> problems;
  // GSM8K's convention: without a \boxed{} the last number of the answer counts.
  bool last_number_fallback = false;
  std::vector<std::filesystem::path> files;
};

// The task names load_math_task knows.
bool is_math_task(const std::string& name);

// Reads data_dir/<name>/test.jsonl. Throws junction::Error naming the file and line for a row
// without its question or answer.
MathTask load_math_task(const std::filesystem::path& data_dir, const std::string& name);

// The user message: question + "\n" + the R1 card's directive.
std::string math_prompt(const MathProblem& problem);

}  // namespace junction::eval
