// HellaSwag as lm-eval's `hellaswag` (leaderboard: 10-shot, acc_norm):
//   query = preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize()),
//   choices = [preprocess(ending)], target delimiter " ", shots from the train split.
// The original JSONL is preferred; llama.cpp's text format (what shared/datasets holds) already
// carries preprocessed text, but built from `ctx` rather than ctx_a + " " + ctx_b.capitalize(),
// so its numbers are close to, not identical with, lm-eval's: the task records that.
#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "eval/data_files.h"
#include "eval/fewshot.h"
#include "eval/tasks/multiple_choice_tasks.h"

namespace junction::eval {
namespace {

struct HellaswagItem {
  std::string query;
  std::string bare_query;            // without the shots
  std::vector<std::string> endings;  // 4
  int gold = 0;
};

// Python's str.replace: one pass over the text, left to right, matches not overlapping; the
// result is built anew (replacing in place moved the rest of the text at every match).
void replace_all(std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  out.reserve(s.size());
  size_t done = 0;
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, done)) {
    out.append(s, done, p - done).append(to);
    done = p + from.size();
  }
  out.append(s, done, std::string::npos);
  s = std::move(out);
}

// re.sub(r"\[.*?\]", "", s): each '[' up to the first ']' on its line goes ('.' does not match
// a newline). A '[' with no ']' before the line's end stays, and so does every '[' after it on
// that line, so the scan goes on from the line's end: one pass, where std::regex recursed once
// per character and overflowed the stack on a long line.
std::string drop_bracket_tags(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t open = s.find('[', i);
    if (open == std::string::npos) break;
    out.append(s, i, open - i);
    const size_t stop = s.find_first_of("]\n", open + 1);
    if (stop != std::string::npos && s[stop] == ']') {
      i = stop + 1;
    } else {
      const size_t keep_to = stop == std::string::npos ? s.size() : stop;
      out.append(s, open, keep_to - open);
      i = keep_to;
    }
  }
  out.append(s, std::min(i, s.size()), std::string::npos);
  return out;
}

// Python str.capitalize() for ASCII: first character upper case, the rest lower case.
std::string capitalize(std::string s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) continue;
    s[i] = static_cast<char>(i == 0 ? std::toupper(c) : std::tolower(c));
  }
  return s;
}

std::vector<HellaswagItem> read_jsonl(const std::filesystem::path& path) {
  std::vector<HellaswagItem> out;
  for (const Json& j : parse_jsonl(read_data_file(path), path.string())) {
    HellaswagItem item;
    const std::string ctx =
        j.at("ctx_a").get<std::string>() + " " + capitalize(j.at("ctx_b").get<std::string>());
    item.query = hellaswag_preprocess(j.at("activity_label").get<std::string>() + ": " + ctx);
    for (const Json& e : j.at("endings"))
      item.endings.push_back(hellaswag_preprocess(e.get<std::string>()));
    const Json& label = j.at("label");
    item.gold = label.is_string() ? std::stoi(label.get<std::string>()) : label.get<int>();
    out.push_back(std::move(item));
  }
  return out;
}

// 6 lines per task: context, gold label, 4 endings (all already preprocessed).
std::vector<HellaswagItem> read_text_format(const std::filesystem::path& path) {
  const std::string text = read_data_file(path);
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    pos = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.size() % 6 != 0)
    throw Error(path.string() + ": " + std::to_string(lines.size()) +
                " lines, not a multiple of 6 (context, label, 4 endings)");
  std::vector<HellaswagItem> out;
  for (size_t i = 0; i < lines.size(); i += 6) {
    HellaswagItem item;
    item.query = lines[i];
    item.gold = std::stoi(lines[i + 1]);
    for (size_t k = 0; k < 4; ++k) item.endings.push_back(lines[i + 2 + k]);
    out.push_back(std::move(item));
  }
  return out;
}

std::filesystem::path first_existing(const std::vector<std::filesystem::path>& candidates) {
  for (const auto& p : candidates)
    if (std::filesystem::exists(p)) return p;
  return {};
}

}  // namespace

std::string hellaswag_preprocess(const std::string& text) {
  const size_t b = text.find_first_not_of(" \t\n\r\f\v");
  std::string s =
      b == std::string::npos ? "" : text.substr(b, text.find_last_not_of(" \t\n\r\f\v") - b + 1);
  replace_all(s, " [title]", ". ");
  s = drop_bracket_tags(s);
  replace_all(s, "  ", " ");
  return s;
}

MultipleChoiceTask load_hellaswag(const std::filesystem::path& data_dir,
                                  std::optional<int> num_fewshot) {
  const auto dir = data_dir / "hellaswag";
  MultipleChoiceTask task;
  task.name = "hellaswag";
  const auto val_jsonl =
      first_existing({dir / "hellaswag_val.jsonl", dir / "hellaswag_val.jsonl.gz"});
  std::vector<HellaswagItem> items;
  if (!val_jsonl.empty()) {
    task.num_fewshot = num_fewshot.value_or(10);
    if (task.num_fewshot > 0) {
      const auto train =
          first_existing({dir / "hellaswag_train.jsonl", dir / "hellaswag_train.jsonl.gz"});
      if (train.empty())
        throw Error(dir.string() + " has no hellaswag_train.jsonl for " +
                    std::to_string(task.num_fewshot) + "-shot: add it or pass --num-fewshot 0");
      const std::vector<HellaswagItem> shots_src = read_jsonl(train);
      task.files.push_back(train);
      std::vector<LabelledExample> shots;
      for (int i = 0; i < task.num_fewshot && i < static_cast<int>(shots_src.size()); ++i)
        shots.push_back({shots_src[i].query, shots_src[i].endings[shots_src[i].gold]});
      items = read_jsonl(val_jsonl);
      for (HellaswagItem& item : items) {
        item.bare_query = item.query;
        item.query = fewshot_context("", shots, item.query);
      }
    } else {
      items = read_jsonl(val_jsonl);
    }
    task.files.push_back(val_jsonl);
  } else {
    const auto text =
        first_existing({dir / "hellaswag_val_full.txt", dir / "hellaswag_val_full.txt.bz2"});
    if (text.empty())
      throw Error(dir.string() +
                  " holds neither hellaswag_val.jsonl nor hellaswag_val_full.txt[.bz2]");
    task.num_fewshot = num_fewshot.value_or(0);
    if (task.num_fewshot > 0)
      throw Error("the HellaSwag text format has no train split: " +
                  std::to_string(task.num_fewshot) + "-shot needs hellaswag_train.jsonl");
    task.notes.push_back(
        "hellaswag: llama.cpp text format, 0-shot; contexts use `ctx`, not lm-eval's ctx_a + \" \" "
        "+ "
        "ctx_b.capitalize(), and the leaderboard's 10-shot needs the train split: not comparable "
        "with published 10-shot numbers");
    items = read_text_format(text);
    task.files.push_back(text);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    MultipleChoiceDoc doc;
    doc.task = task.name;
    doc.doc_id = std::to_string(i);
    doc.context = items[i].query;
    doc.choices = items[i].endings;
    doc.gold = items[i].gold;
    const std::string& bare = items[i].bare_query.empty() ? items[i].query : items[i].bare_query;
    doc.lettered = {"Which ending completes this text best?\n\n" + bare, items[i].endings,
                    items[i].gold};
    task.docs.push_back(std::move(doc));
  }
  return task;
}

}  // namespace junction::eval
