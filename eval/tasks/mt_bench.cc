#include "eval/tasks/mt_bench.h"

#include <cmath>
#include <cstdlib>
#include <string_view>

#include "core/error.h"
#include "eval/data_files.h"

namespace junction::eval {

MtBenchData load_mt_bench(const std::filesystem::path& data_dir) {
  const auto dir = data_dir / "mt_bench";
  MtBenchData data;
  const auto questions = dir / "question.jsonl";
  const auto prompts = dir / "judge_prompts.jsonl";
  const auto refs = dir / "reference_answer" / "gpt-4.jsonl";
  data.files = {questions, prompts};
  for (const Json& j : parse_jsonl(read_data_file(questions), questions.string())) {
    MtBenchQuestion q;
    q.question_id = j.at("question_id").get<int>();
    q.category = j.at("category").get<std::string>();
    q.turns = j.at("turns").get<std::vector<std::string>>();
    data.questions.push_back(std::move(q));
  }
  for (const Json& j : parse_jsonl(read_data_file(prompts), prompts.string()))
    data.judge_prompts[j.at("name").get<std::string>()] = {
        j.at("name").get<std::string>(), j.at("system_prompt").get<std::string>(),
        j.at("prompt_template").get<std::string>()};
  if (std::filesystem::exists(refs)) {
    data.files.push_back(refs);
    std::map<int, std::vector<std::string>> by_id;
    for (const Json& j : parse_jsonl(read_data_file(refs), refs.string()))
      by_id[j.at("question_id").get<int>()] =
          j.at("choices").at(0).at("turns").get<std::vector<std::string>>();
    for (MtBenchQuestion& q : data.questions)
      if (const auto it = by_id.find(q.question_id); it != by_id.end()) q.reference = it->second;
  }
  for (const MtBenchQuestion& q : data.questions)
    if (mt_bench_needs_reference(q.category) && q.reference.size() < q.turns.size())
      throw Error(refs.string() + " has no reference answer for question " +
                  std::to_string(q.question_id) + " (" + q.category + ")");
  return data;
}

double mt_bench_temperature(const std::string& category) {
  if (category == "writing" || category == "roleplay") return 0.7;
  if (category == "stem" || category == "humanities") return 0.1;
  return 0.0;  // extraction, math, coding, reasoning
}

bool mt_bench_needs_reference(const std::string& category) {
  return category == "math" || category == "reasoning" || category == "coding";
}

std::string mt_bench_judge_name(const std::string& category, int turn) {
  std::string name = mt_bench_needs_reference(category) ? "single-math-v1" : "single-v1";
  return turn >= 2 ? name + "-multi-turn" : name;
}

std::string format_judge_prompt(const std::string& t,
                                const std::map<std::string, std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if ((c == '{' || c == '}') && i + 1 < t.size() && t[i + 1] == c) {
      out += c;
      ++i;
    } else if (c == '{') {
      const size_t close = t.find('}', i);
      if (close == std::string::npos) throw Error("judge prompt has an unclosed '{'");
      const std::string name = t.substr(i + 1, close - i - 1);
      const auto it = fields.find(name);
      if (it == fields.end()) throw Error("judge prompt field {" + name + "} has no value");
      out += it->second;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

JudgeRequest mt_bench_judge_request(const MtBenchData& data, const MtBenchQuestion& q, int turn,
                                    const std::vector<std::string>& answers) {
  JudgeRequest r;
  r.judge_name = mt_bench_judge_name(q.category, turn);
  const auto it = data.judge_prompts.find(r.judge_name);
  if (it == data.judge_prompts.end())
    throw Error("judge_prompts.jsonl has no prompt named " + r.judge_name);
  std::map<std::string, std::string> fields;
  const bool ref = mt_bench_needs_reference(q.category);
  if (turn == 1) {
    fields["question"] = q.turns.at(0);
    fields["answer"] = answers.at(0);
    if (ref) fields["ref_answer_1"] = q.reference.at(0);
  } else {
    for (int k = 0; k < 2; ++k) {
      fields["question_" + std::to_string(k + 1)] = q.turns.at(k);
      fields["answer_" + std::to_string(k + 1)] = answers.at(k);
      if (ref) fields["ref_answer_" + std::to_string(k + 1)] = q.reference.at(k);
    }
  }
  r.system_prompt = it->second.system_prompt;
  r.user_prompt = format_judge_prompt(it->second.prompt_template, fields);
  return r;
}

namespace {

// The number of FastChat's `\[{open}(\d+\.?\d*)\]{open}` at `at`, or nullopt: the
// brackets, digits, an optional point and digits, the closing brackets. One pass, no
// backtracking (none of the parts can end where the next begins), unlike std::regex, whose
// matcher recurses once per character and overflows the stack on a long run of digits.
std::optional<std::string_view> bracketed_number(std::string_view s, size_t at, size_t brackets) {
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = at;
  for (size_t b = 0; b < brackets; ++b, ++i)
    if (i >= s.size() || s[i] != '[') return std::nullopt;
  const size_t begin = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == begin) return std::nullopt;
  if (i < s.size() && s[i] == '.') ++i;
  while (i < s.size() && is_digit(s[i])) ++i;
  const size_t end = i;
  for (size_t b = 0; b < brackets; ++b, ++i)
    if (i >= s.size() || s[i] != ']') return std::nullopt;
  return s.substr(begin, end - begin);
}

}  // namespace

std::optional<double> extract_rating(const std::string& judgment) {
  // The first match of "[[x]]", else of "[x]", as re.search finds them. Each '[' starts at most
  // one scan of the digits after it, so the whole search is linear.
  for (const size_t brackets : {2u, 1u}) {
    for (size_t at = judgment.find('['); at != std::string::npos; at = judgment.find('[', at + 1)) {
      const auto number = bracketed_number(judgment, at, brackets);
      if (!number) continue;
      // FastChat's ast.literal_eval reads any length; a double holds up to ~1.8e308, and a
      // rating past it is no rating (std::stod threw std::out_of_range).
      const double value = std::strtod(std::string(*number).c_str(), nullptr);
      if (!std::isfinite(value)) return std::nullopt;
      return value;
    }
  }
  return std::nullopt;
}

MtBenchSummary summarize_mt_bench(const std::vector<MtBenchScore>& scores) {
  MtBenchSummary s;
  double all = 0, t1 = 0, t2 = 0;
  int64_t n1 = 0, n2 = 0;
  std::map<std::string, std::pair<double, int64_t>> cats;
  for (const MtBenchScore& x : scores) {
    if (!x.rating) {
      ++s.unrated;
      continue;
    }
    ++s.rated;
    all += *x.rating;
    (x.turn == 1 ? t1 : t2) += *x.rating;
    ++(x.turn == 1 ? n1 : n2);
    cats[x.category].first += *x.rating;
    ++cats[x.category].second;
  }
  if (s.rated > 0) s.overall = all / static_cast<double>(s.rated);
  if (n1 > 0) s.turn1 = t1 / static_cast<double>(n1);
  if (n2 > 0) s.turn2 = t2 / static_cast<double>(n2);
  for (const auto& [cat, sum_n] : cats)
    s.per_category[cat] = sum_n.first / static_cast<double>(sum_n.second);
  return s;
}

}  // namespace junction::eval
