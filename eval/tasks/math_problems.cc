#include "eval/tasks/math_problems.h"

#include <cstdio>

#include "core/error.h"
#include "eval/data_files.h"

namespace junction::eval {
namespace {

std::string text_of(const Json& row, const char* key, const std::string& where) {
  if (!row.contains(key)) throw Error(where + " has no \"" + key + "\"");
  const Json& v = row[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.12g", v.get<double>());
    return buf;
  }
  throw Error(where + ": \"" + key + "\" is neither text nor a number");
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

}  // namespace

bool is_math_task(const std::string& name) {
  return name == "aime24" || name == "amc23" || name == "gsm8k";
}

MathTask load_math_task(const std::filesystem::path& data_dir, const std::string& name) {
  if (!is_math_task(name)) throw Error("not a math task: " + name);
  MathTask task;
  task.name = name;
  task.last_number_fallback = name == "gsm8k";
  const std::filesystem::path file = data_dir / name / "test.jsonl";
  task.files.push_back(file);
  const std::vector<Json> rows = parse_jsonl(read_data_file(file), file.string());
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string where = file.string() + " line " + std::to_string(i + 1);
    if (!rows[i].is_object()) throw Error(where + " is not a JSON object");
    MathProblem p;
    if (name == "gsm8k") {
      p.id = std::to_string(i);
      p.question = text_of(rows[i], "question", where);
      // GSM8K's solutions end with "#### <answer>".
      const std::string solution = text_of(rows[i], "answer", where);
      const size_t mark = solution.rfind("####");
      if (mark == std::string::npos) throw Error(where + ": the answer has no \"####\"");
      p.gold = trim(solution.substr(mark + 4));
    } else {
      p.id = text_of(rows[i], "id", where);
      p.question = text_of(rows[i], "problem", where);
      p.gold = trim(text_of(rows[i], "answer", where));
    }
    if (p.gold.empty()) throw Error(where + " has an empty answer");
    task.problems.push_back(std::move(p));
  }
  return task;
}

std::string math_prompt(const MathProblem& problem) {
  return problem.question +
         "\nPlease reason step by step, and put your final answer within \\boxed{}.";
}

}  // namespace junction::eval
