// HumanEval (Chen et al. 2021): problems from HumanEval.jsonl[.gz], the program each
// completion is checked with (human-eval's check_program), the Codex stop sequences, code
// extraction for chat answers, and pass@k averaged over problems.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace junction::eval {

struct HumanEvalProblem {
  std::string task_id;  // "HumanEval/0"
  std::string prompt;   // signature + docstring
  std::string entry_point;
  std::string canonical_solution;
  std::string test;  // defines check(candidate)
};

std::vector<HumanEvalProblem> load_humaneval(const std::filesystem::path& file);

// prompt + completion + "\n" + test + "\n" + "check(entry_point)\n", as human-eval runs it.
std::string humaneval_program(const HumanEvalProblem& problem, const std::string& completion);

// Codex's stop sequences for base-model completions: \nclass, \ndef, \n#, \nif, \nprint.
const std::vector<std::string>& humaneval_stop_sequences();
// `text` cut at the first stop sequence (servers that ignore `stop` still get truncated).
std::string truncate_at_stop(const std::string& text, const std::vector<std::string>& stops);

// Chat mode: the instruction sent with the prompt, and the completion made from the answer:
// the first fenced code block (or the whole answer); when it defines the entry point it replaces
// the prompt (keeping the prompt's imports), else it continues the prompt.
std::string humaneval_chat_instruction(const HumanEvalProblem& problem);
std::string completion_from_chat_answer(const HumanEvalProblem& problem, const std::string& answer,
                                        std::string* program_prefix);

// Mean over problems of pass_at_k(n_i, c_i, k); problems with n_i < k are skipped.
double mean_pass_at_k(const std::vector<std::pair<int64_t, int64_t>>& samples_and_correct,
                      int64_t k);

}  // namespace junction::eval
