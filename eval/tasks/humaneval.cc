#include "eval/tasks/humaneval.h"

#include "core/error.h"
#include "eval/data_files.h"
#include "eval/metrics.h"

namespace junction::eval {

std::vector<HumanEvalProblem> load_humaneval(const std::filesystem::path& file) {
  std::vector<HumanEvalProblem> out;
  for (const Json& j : parse_jsonl(read_data_file(file), file.string()))
    out.push_back({j.at("task_id").get<std::string>(), j.at("prompt").get<std::string>(),
                   j.at("entry_point").get<std::string>(), j.value("canonical_solution", ""),
                   j.at("test").get<std::string>()});
  return out;
}

std::string humaneval_program(const HumanEvalProblem& p, const std::string& completion) {
  return p.prompt + completion + "\n" + p.test + "\n" + "check(" + p.entry_point + ")\n";
}

const std::vector<std::string>& humaneval_stop_sequences() {
  static const std::vector<std::string> stops = {"\nclass", "\ndef", "\n#", "\nif", "\nprint"};
  return stops;
}

std::string truncate_at_stop(const std::string& text, const std::vector<std::string>& stops) {
  size_t cut = text.size();
  for (const std::string& s : stops) cut = std::min(cut, text.find(s));
  return text.substr(0, cut);
}

std::string humaneval_chat_instruction(const HumanEvalProblem& p) {
  return "Complete the following Python function. Answer with the complete function, including "
         "the signature and any imports it needs, in one ```python code block.\n\n```python\n" +
         p.prompt + "```";
}

std::string completion_from_chat_answer(const HumanEvalProblem& p, const std::string& answer,
                                        std::string* program_prefix) {
  std::string code = answer;
  size_t open = answer.find("```python");
  size_t skip = 9;
  if (open == std::string::npos) {
    open = answer.find("```");
    skip = 3;
  }
  if (open != std::string::npos) {
    const size_t start = answer.find('\n', open + skip);
    const size_t close = start == std::string::npos ? std::string::npos : answer.find("```", start);
    if (start != std::string::npos)
      code = answer.substr(start + 1,
                           close == std::string::npos ? std::string::npos : close - start - 1);
  }
  if (code.find("def " + p.entry_point) != std::string::npos) {
    // A whole function: keep the prompt's import lines, drop the rest of the prompt.
    std::string imports;
    size_t pos = 0;
    while (pos < p.prompt.size()) {
      size_t end = p.prompt.find('\n', pos);
      if (end == std::string::npos) end = p.prompt.size();
      const std::string line = p.prompt.substr(pos, end - pos);
      if (line.rfind("import ", 0) == 0 || line.rfind("from ", 0) == 0) imports += line + "\n";
      pos = end + 1;
    }
    *program_prefix = imports;
    return code;
  }
  *program_prefix = p.prompt;
  return code;
}

double mean_pass_at_k(const std::vector<std::pair<int64_t, int64_t>>& n_c, int64_t k) {
  std::vector<double> values;
  for (const auto& [n, c] : n_c)
    if (n >= k) values.push_back(pass_at_k(n, c, k));
  return mean(values);
}

}  // namespace junction::eval
