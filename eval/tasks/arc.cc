// ARC as lm-eval's arc_challenge / arc_easy (leaderboard: 25-shot, acc_norm):
//   doc_to_text "Question: {{question}}\nAnswer:", choices = the answer texts,
//   gold = choices.label.index(answerKey), shots from the train split.
#include <algorithm>

#include "core/error.h"
#include "eval/data_files.h"
#include "eval/fewshot.h"
#include "eval/tasks/multiple_choice_tasks.h"

namespace junction::eval {
namespace {

struct ArcItem {
  std::string id;
  std::string question;
  std::vector<std::string> choices;
  int gold = 0;
};

std::vector<ArcItem> read_items(const std::filesystem::path& path) {
  std::vector<ArcItem> out;
  for (const Json& j : parse_jsonl(read_data_file(path), path.string())) {
    ArcItem item;
    item.id = j.at("id").get<std::string>();
    const Json& q = j.at("question");
    item.question = q.at("stem").get<std::string>();
    std::vector<std::string> labels;
    for (const Json& c : q.at("choices")) {
      item.choices.push_back(c.at("text").get<std::string>());
      labels.push_back(c.at("label").get<std::string>());
    }
    const std::string key = j.at("answerKey").get<std::string>();
    const auto it = std::find(labels.begin(), labels.end(), key);
    if (it == labels.end())
      throw Error(path.string() + ": " + item.id + " answerKey " + key + " is not a choice label");
    item.gold = static_cast<int>(it - labels.begin());
    out.push_back(std::move(item));
  }
  return out;
}

std::string doc_to_text(const ArcItem& item) {
  return "Question: " + item.question + "\nAnswer:";
}

}  // namespace

MultipleChoiceTask load_arc(const std::filesystem::path& data_dir, bool challenge,
                            std::optional<int> num_fewshot) {
  const std::string split_name = challenge ? "Challenge" : "Easy";
  MultipleChoiceTask task;
  task.name = challenge ? "arc_challenge" : "arc_easy";
  task.num_fewshot = num_fewshot.value_or(25);
  const auto dir = data_dir / "arc";
  std::vector<LabelledExample> shots;
  if (task.num_fewshot > 0) {
    const auto train_path = dir / ("ARC-" + split_name + "-Train.jsonl");
    const std::vector<ArcItem> train = read_items(train_path);
    if (static_cast<int>(train.size()) < task.num_fewshot)
      throw Error(train_path.string() + " has " + std::to_string(train.size()) + " rows; " +
                  std::to_string(task.num_fewshot) + " shots asked");
    for (int i = 0; i < task.num_fewshot; ++i)
      shots.push_back({doc_to_text(train[i]), train[i].choices[train[i].gold]});
    task.files.push_back(train_path);
  }
  const auto test_path = dir / ("ARC-" + split_name + "-Test.jsonl");
  task.files.push_back(test_path);
  for (const ArcItem& item : read_items(test_path)) {
    MultipleChoiceDoc doc;
    doc.task = task.name;
    doc.doc_id = item.id;
    doc.context = fewshot_context("", shots, doc_to_text(item));
    doc.choices = item.choices;
    doc.gold = item.gold;
    doc.lettered = {item.question, item.choices, item.gold};
    task.docs.push_back(std::move(doc));
  }
  return task;
}

}  // namespace junction::eval
