// MMLU as lm-eval's `mmlu` (default, 5-shot) builds it from cais/mmlu:
//   description "The following are multiple choice questions (with answers) about <subject>.\n\n"
//   doc_to_text "{{question.strip()}}\nA. {{choices[0]}}\nB. ...\nD. {{choices[3]}}\nAnswer:"
//   choices ["A", "B", "C", "D"], target delimiter " ", shots from dev, fewshot delimiter "\n\n".
#include <algorithm>

#include "core/error.h"
#include "eval/csv.h"
#include "eval/data_files.h"
#include "eval/fewshot.h"
#include "eval/tasks/multiple_choice_tasks.h"

namespace junction::eval {
namespace {

struct MmluRow {
  std::string question;
  std::vector<std::string> choices;  // 4
  int answer = 0;                    // 0-3
};

std::string strip(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\n\r\f\v");
  return s.substr(b, e - b + 1);
}

std::vector<MmluRow> read_rows(const std::filesystem::path& path) {
  const std::vector<CsvRow> rows = parse_csv(read_data_file(path), path.string());
  std::vector<MmluRow> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const CsvRow& r = rows[i];
    if (i == 0 && r.size() == 6 && r[0] == "question" && r[5] == "answer") continue;
    if (r.size() != 6)
      throw Error(path.string() + ": row " + std::to_string(i + 1) + " has " +
                  std::to_string(r.size()) + " fields, expected 6");
    MmluRow row{r[0], {r[1], r[2], r[3], r[4]}, 0};
    const std::string a = strip(r[5]);
    if (a.size() == 1 && a[0] >= 'A' && a[0] <= 'D')
      row.answer = a[0] - 'A';
    else if (a.size() == 1 && a[0] >= '0' && a[0] <= '3')
      row.answer = a[0] - '0';
    else
      throw Error(path.string() + ": row " + std::to_string(i + 1) + " answer \"" + a +
                  "\" is neither 0-3 nor A-D");
    out.push_back(std::move(row));
  }
  return out;
}

std::string doc_to_text(const MmluRow& row) {
  std::string s = strip(row.question);
  for (int i = 0; i < 4; ++i) s += std::string("\n") + char('A' + i) + ". " + row.choices[i];
  return s + "\nAnswer:";
}

}  // namespace

MultipleChoiceTask load_mmlu(const std::filesystem::path& data_dir,
                             std::optional<int> num_fewshot) {
  MultipleChoiceTask task;
  task.name = "mmlu";
  task.num_fewshot = num_fewshot.value_or(5);
  const auto tests = list_files(data_dir / "mmlu" / "test", "_test.csv");
  if (tests.empty()) throw Error("no MMLU test files in " + (data_dir / "mmlu" / "test").string());
  for (const auto& test_path : tests) {
    const std::string file = test_path.filename().string();
    const std::string subject = file.substr(0, file.size() - std::string("_test.csv").size());
    std::string subject_words = subject;
    std::replace(subject_words.begin(), subject_words.end(), '_', ' ');
    std::vector<LabelledExample> shots;
    if (task.num_fewshot > 0) {
      const auto dev_path = data_dir / "mmlu" / "dev" / (subject + "_dev.csv");
      const std::vector<MmluRow> dev = read_rows(dev_path);
      if (static_cast<int>(dev.size()) < task.num_fewshot)
        throw Error(dev_path.string() + " has " + std::to_string(dev.size()) + " rows; " +
                    std::to_string(task.num_fewshot) + " shots asked");
      for (int i = 0; i < task.num_fewshot; ++i)
        shots.push_back({doc_to_text(dev[i]), std::string(1, char('A' + dev[i].answer))});
      task.files.push_back(dev_path);
    }
    task.files.push_back(test_path);
    const std::string description =
        "The following are multiple choice questions (with answers) about " + subject_words +
        ".\n\n";
    const std::vector<MmluRow> rows = read_rows(test_path);
    for (size_t i = 0; i < rows.size(); ++i) {
      MultipleChoiceDoc doc;
      doc.task = "mmlu_" + subject;
      doc.doc_id = subject + "/" + std::to_string(i);
      doc.context = fewshot_context(description, shots, doc_to_text(rows[i]));
      doc.choices = {"A", "B", "C", "D"};
      doc.gold = rows[i].answer;
      doc.lettered = {strip(rows[i].question), rows[i].choices, rows[i].answer};
      task.docs.push_back(std::move(doc));
    }
  }
  return task;
}

}  // namespace junction::eval
