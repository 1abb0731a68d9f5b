#include "eval/runner.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "eval/generative_choice.h"
#include "eval/math_answer.h"
#include "eval/metrics.h"
#include "eval/multiple_choice.h"
#include "eval/progress.h"
#include "eval/sampled_metrics.h"
#include "eval/samples_file.h"
#include "eval/tasks/humaneval.h"
#include "eval/tasks/math_problems.h"
#include "eval/tasks/mt_bench.h"
#include "eval/tasks/multiple_choice_tasks.h"

namespace junction::eval {
namespace {

using Clock = std::chrono::steady_clock;

// Calls fn(i) for i in [0, n) on `threads` threads; the first exception stops the others'
// next pick and is rethrown here.
void parallel_for_each(int64_t n, int threads, const std::function<void(int64_t)>& fn) {
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (;;) {
      if (failed) return;
      const int64_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  const int t = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  for (int k = 1; k < t; ++k) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

Json metric(const std::vector<double>& values) {
  return {{"value", mean(values)}, {"stderr", mean_stderr(values)}, {"n", values.size()}};
}

Json hash_files(const std::vector<std::filesystem::path>& files,
                const std::filesystem::path& root) {
  Json out = Json::object();
  std::set<std::string> seen;
  for (const auto& f : files) {
    const std::string rel = std::filesystem::relative(f, root).generic_string();
    if (seen.insert(rel).second) out[rel] = file_sha256(f);
  }
  return out;
}

std::string format_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

struct TaskRun {
  const EvalOptions& o;
  ScoringBackend& model;
  ScoringBackend* judge;
  SamplesFile& samples;
  CostCap cost{o.price, o.max_cost};
  std::atomic<int64_t> prompt_tokens{0}, completion_tokens{0};

  void note(const std::string& text) const {
    if (o.log) std::fprintf(o.log, "eval note: %s\n", text.c_str());
  }

  // The keys of `items` not yet in the samples file, and a progress reporter.
  template <class KeyFn>
  std::vector<int64_t> pending(int64_t n, KeyFn key) const {
    std::vector<int64_t> todo;
    for (int64_t i = 0; i < n; ++i)
      if (!samples.find(key(i))) todo.push_back(i);
    return todo;
  }

  // MMLU: the leaderboard-v1 unweighted mean over subjects and lm-eval's mean over questions;
  // other tasks: the mean of each metric. Writes result["metrics"] (and "subtasks").
  static void aggregate(
      const std::string& name,
      const std::map<std::string, std::map<std::string, std::vector<double>>>& by_subtask,
      std::map<std::string, std::vector<double>>& all, Json& result) {
    Json metrics = Json::object();
    if (name == "mmlu") {
      // Leaderboard v1: unweighted mean over subjects; lm-eval: mean over every question.
      Json subtasks = Json::object();
      std::vector<double> subject_means;
      double var_sum = 0;
      for (const auto& [sub, ms] : by_subtask) {
        subtasks[sub] = {{"acc", metric(ms.at("acc"))}};
        subject_means.push_back(mean(ms.at("acc")));
        var_sum += std::pow(mean_stderr(ms.at("acc")), 2);
      }
      const double n_sub = static_cast<double>(subject_means.size());
      metrics["acc"] = {{"value", mean(subject_means)},
                        {"stderr", n_sub > 0 ? std::sqrt(var_sum) / n_sub : 0.0},
                        {"n", subject_means.size()},
                        {"aggregation", "unweighted mean over subjects (Open LLM Leaderboard v1)"}};
      metrics["acc_weighted"] = metric(all["acc"]);
      metrics["acc_weighted"]["aggregation"] = "mean over questions (lm-eval's size-weighted mmlu)";
      result["subtasks"] = subtasks;
    } else {
      for (const auto& [m, values] : all) metrics[m] = metric(values);
    }
    result["metrics"] = metrics;
  }

  // The task's documents, --limit applied per subtask (per subject for MMLU).
  MultipleChoiceTask load_task(const std::string& name, std::optional<int> num_fewshot) const {
    MultipleChoiceTask task = name == "mmlu"            ? load_mmlu(o.data_dir, num_fewshot)
                              : name == "arc_challenge" ? load_arc(o.data_dir, true, num_fewshot)
                              : name == "arc_easy"      ? load_arc(o.data_dir, false, num_fewshot)
                              : name == "hellaswag"     ? load_hellaswag(o.data_dir, num_fewshot)
                                                    : load_truthfulqa_mc2(o.data_dir, num_fewshot);
    if (o.limit) {
      std::map<std::string, int64_t> kept;
      std::vector<MultipleChoiceDoc> docs;
      for (auto& d : task.docs)
        if (kept[d.task]++ < *o.limit) docs.push_back(std::move(d));
      task.docs = std::move(docs);
    }
    return task;
  }

  Json multiple_choice(const std::string& name) {
    MultipleChoiceTask task = load_task(name, o.num_fewshot);
    for (const std::string& n : task.notes) note(n);
    const auto key = [&](int64_t i) {
      return name + "|" + task.docs[static_cast<size_t>(i)].doc_id;
    };
    const std::vector<int64_t> todo = pending(static_cast<int64_t>(task.docs.size()), key);
    EvalProgress progress(o.log, o.terminal, name, static_cast<int64_t>(task.docs.size()),
                          static_cast<int64_t>(task.docs.size() - todo.size()));
    std::vector<Json> lines(task.docs.size());
    for (size_t i = 0; i < task.docs.size(); ++i)
      if (const Json* done = samples.find(key(static_cast<int64_t>(i)))) lines[i] = *done;
    parallel_for_each(static_cast<int64_t>(todo.size()), o.concurrency, [&](int64_t t) {
      const auto i = static_cast<size_t>(todo[static_cast<size_t>(t)]);
      const MultipleChoiceDoc& doc = task.docs[i];
      const MultipleChoiceResult r = score(model, doc);
      Json s = {{"key", key(static_cast<int64_t>(i))},
                {"task", doc.task},
                {"doc_id", doc.doc_id},
                {"context", doc.context}};
      Json conts = Json::array(), lls = Json::array(), greedy = Json::array(), ctx = Json::array();
      int64_t tokens = 0;
      for (size_t c = 0; c < doc.choices.size(); ++c) {
        conts.push_back(continuation(doc, c));
        lls.push_back(r.choices[c].logprob);
        greedy.push_back(r.choices[c].is_greedy);
        ctx.push_back(r.choices[c].context_tokens);
        tokens += r.choices[c].context_tokens +
                  static_cast<int64_t>(r.choices[c].continuation_tokens.size());
      }
      s["continuations"] = conts;
      s["loglikelihoods"] = lls;
      s["is_greedy"] = greedy;
      s["context_token_counts"] = ctx;
      s["prompt_tokens"] = tokens;
      if (doc.mc2_labels.empty()) {
        s["gold"] = doc.gold;
      } else {
        s["labels"] = doc.mc2_labels;
        s["gold"] = nullptr;
      }
      s["prediction"] = r.prediction;
      s["prediction_norm"] = r.prediction_norm;
      if (r.acc) s["acc"] = *r.acc;
      if (r.acc_norm) s["acc_norm"] = *r.acc_norm;
      if (r.mc2) s["mc2"] = *r.mc2;
      prompt_tokens += tokens;
      samples.append(s);
      lines[i] = std::move(s);
      progress.advance();
    });
    progress.finish();

    // Metrics from every line, resumed ones included (recomputed from their loglikelihoods).
    std::map<std::string, std::map<std::string, std::vector<double>>> by_subtask;
    std::map<std::string, std::vector<double>> all;
    for (size_t i = 0; i < task.docs.size(); ++i) {
      const MultipleChoiceDoc& doc = task.docs[i];
      const MultipleChoiceResult r = metrics_from_loglikelihoods(
          doc, lines[i].at("loglikelihoods").get<std::vector<double>>());
      auto add = [&](const char* m, const std::optional<double>& v) {
        if (!v) return;
        by_subtask[doc.task][m].push_back(*v);
        all[m].push_back(*v);
      };
      add("acc", r.acc);
      add("acc_norm", r.acc_norm);
      add("mc2", r.mc2);
    }
    Json result = {{"mode", "loglikelihood"},
                   {"num_fewshot", task.num_fewshot},
                   {"fewshot_selection", "first_n"},
                   {"samples", task.docs.size()},
                   {"resumed_samples", task.docs.size() - todo.size()},
                   {"data_files", hash_files(task.files, o.data_dir)},
                   {"notes", task.notes}};
    aggregate(name, by_subtask, all, result);
    return result;
  }

  // --mode generative: simple-evals' zero-shot prompt through chat, the letter after </think>.
  Json generative_multiple_choice(const std::string& name) {
    if (o.num_fewshot.value_or(0) != 0)
      throw Error(name + " in --mode generative is zero-shot (simple-evals); drop --num-fewshot");
    // The documents' lettered questions do not depend on shots; 0-shot loads read fewer files.
    MultipleChoiceTask task = load_task(name, 0);
    const auto key = [&](int64_t i) {
      return name + "|generative|" + task.docs[static_cast<size_t>(i)].doc_id;
    };
    const int64_t total = static_cast<int64_t>(task.docs.size());
    const std::vector<int64_t> todo = pending(total, key);
    EvalProgress progress(o.log, o.terminal, name, total,
                          total - static_cast<int64_t>(todo.size()));
    std::vector<Json> lines(task.docs.size());
    for (int64_t i = 0; i < total; ++i)
      if (const Json* done = samples.find(key(i))) lines[static_cast<size_t>(i)] = *done;
    parallel_for_each(static_cast<int64_t>(todo.size()), o.concurrency, [&](int64_t t) {
      const int64_t i = todo[static_cast<size_t>(t)];
      const MultipleChoiceDoc& doc = task.docs[static_cast<size_t>(i)];
      const std::string prompt = generative_choice_prompt(doc.lettered);
      GenerationParams gp;
      gp.max_tokens = o.generative_max_tokens;
      gp.temperature = o.generative_temperature;
      const Generation g = model.chat({{"user", prompt}}, gp);
      prompt_tokens += g.prompt_tokens;
      completion_tokens += g.completion_tokens;
      // parse_generation already moved a split-off reasoning out of g.text; an unclosed
      // <think> left in it means the answer was never reached.
      const auto letter = extract_choice_letter(g.text, doc.lettered.choices.size());
      const bool correct = letter && *letter == doc.lettered.gold;
      Json s = {
          {"key", key(i)},
          {"task", doc.task},
          {"doc_id", doc.doc_id},
          {"mode", "generative"},
          {"prompt", prompt},
          {"choices", doc.lettered.choices},
          {"gold", std::string(1, static_cast<char>('A' + doc.lettered.gold))},
          {"output", g.text},
          {"reasoning_chars", g.reasoning.size()},
          {"finish_reason", g.finish_reason},
          {"extracted", letter ? Json(std::string(1, static_cast<char>('A' + *letter))) : Json()},
          {"correct", correct},
          {"completion_tokens", g.completion_tokens}};
      samples.append(s);
      lines[static_cast<size_t>(i)] = std::move(s);
      progress.advance();
    });
    progress.finish();
    std::map<std::string, std::map<std::string, std::vector<double>>> by_subtask;
    std::map<std::string, std::vector<double>> all;
    int64_t unanswered = 0;
    for (size_t i = 0; i < task.docs.size(); ++i) {
      const double v = lines[i].at("correct").get<bool>() ? 1.0 : 0.0;
      unanswered += lines[i].at("extracted").is_null();
      by_subtask[task.docs[i].task]["acc"].push_back(v);
      all["acc"].push_back(v);
    }
    std::vector<std::string> notes = {
        "generative: simple-evals zero-shot prompt through /v1/chat/completions, the letter "
        "after </think> (pattern Answer: $LETTER, first match), temperature " +
        format_g(o.generative_temperature) + ", max_tokens " +
        std::to_string(o.generative_max_tokens) +
        ": not comparable with loglikelihood (lm-eval) numbers"};
    if (name == "truthfulqa_mc2")
      notes.push_back(
          "truthfulqa_mc2 in generative mode scores the single-answer mc1 targets (acc), their "
          "order shuffled with a seed per question; mc2 needs loglikelihoods");
    if (name == "hellaswag")
      notes.push_back(
          "hellaswag in generative mode: no simple-evals prompt exists; the context is asked "
          "for its best ending among lettered choices");
    for (const std::string& n : notes) note(n);
    Json result = {{"mode", "generative"},
                   {"num_fewshot", 0},
                   {"samples", task.docs.size()},
                   {"resumed_samples", total - static_cast<int64_t>(todo.size())},
                   {"unanswered", unanswered},
                   {"temperature", o.generative_temperature},
                   {"max_tokens", o.generative_max_tokens},
                   {"data_files", hash_files(task.files, o.data_dir)},
                   {"notes", notes}};
    aggregate(name, by_subtask, all, result);
    return result;
  }

  Json humaneval() {
    auto file = o.data_dir / "humaneval" / "HumanEval.jsonl.gz";
    if (!std::filesystem::exists(file)) file = o.data_dir / "humaneval" / "HumanEval.jsonl";
    std::vector<HumanEvalProblem> problems = load_humaneval(file);
    if (o.limit && static_cast<int64_t>(problems.size()) > *o.limit)
      problems.resize(static_cast<size_t>(*o.limit));
    const int64_t n = std::max(1, o.humaneval_n);
    const bool chat = o.mode == "generative";
    if (n > 1 && o.humaneval_temperature == 0)
      note("humaneval: " + std::to_string(n) +
           " greedy samples per problem are identical; "
           "pass@k for k > 1 wants --humaneval-temperature 0.8 (Codex paper)");
    const int64_t total = static_cast<int64_t>(problems.size()) * n;
    const auto key = [&](int64_t i) {
      return "humaneval|" + problems[static_cast<size_t>(i / n)].task_id + "#" +
             std::to_string(i % n);
    };
    const std::vector<int64_t> todo = pending(total, key);
    EvalProgress progress(o.log, o.terminal, "humaneval", total,
                          total - static_cast<int64_t>(todo.size()));
    std::vector<int> passed(static_cast<size_t>(total), 0);
    for (int64_t i = 0; i < total; ++i)
      if (const Json* s = samples.find(key(i)))
        passed[static_cast<size_t>(i)] = s->at("passed").get<bool>();
    bool isolated = true, user_isolated = true, tree_limited = true;
    std::string tree_limits_note;
    std::mutex isolated_mutex;
    parallel_for_each(static_cast<int64_t>(todo.size()), o.concurrency, [&](int64_t t) {
      const int64_t i = todo[static_cast<size_t>(t)];
      const HumanEvalProblem& p = problems[static_cast<size_t>(i / n)];
      GenerationParams gp;
      gp.max_tokens = o.humaneval_max_tokens;
      gp.temperature = o.humaneval_temperature;
      if (n > 1) gp.seed = static_cast<uint64_t>(i % n);
      Generation g;
      std::string completion, program;
      if (chat) {
        g = model.chat({{"user", humaneval_chat_instruction(p)}}, gp);
        std::string prefix;
        completion = completion_from_chat_answer(p, g.text, &prefix);
        HumanEvalProblem q = p;
        q.prompt = prefix;
        program = humaneval_program(q, completion);
      } else {
        gp.stop = humaneval_stop_sequences();
        g = model.complete(p.prompt, gp);
        completion = truncate_at_stop(g.text, humaneval_stop_sequences());
        program = humaneval_program(p, completion);
      }
      const SandboxResult r = run_python_sandboxed(program, o.sandbox);
      {
        std::lock_guard<std::mutex> lock(isolated_mutex);
        isolated = isolated && r.network_isolated;
        user_isolated = user_isolated && r.user_isolated;
        tree_limited = tree_limited && r.tree_limited;
        if (tree_limits_note.empty()) tree_limits_note = r.tree_limits_note;
      }
      prompt_tokens += g.prompt_tokens;
      completion_tokens += g.completion_tokens;
      passed[static_cast<size_t>(i)] = r.passed;
      samples.append({{"key", key(i)},
                      {"task", "humaneval"},
                      {"doc_id", p.task_id},
                      {"sample_index", i % n},
                      {"prompt", chat ? humaneval_chat_instruction(p) : p.prompt},
                      {"output", g.text},
                      {"extracted", completion},
                      {"passed", r.passed},
                      {"verdict", r.verdict},
                      {"stderr", r.stderr_head},
                      {"network_isolated", r.network_isolated},
                      {"user_isolated", r.user_isolated},
                      {"tree_limited", r.tree_limited},
                      {"prompt_tokens", g.prompt_tokens},
                      {"completion_tokens", g.completion_tokens}});
      progress.advance();
    });
    progress.finish();
    if (!isolated)
      note(
          "humaneval: the sandbox could not create a network namespace here; generated code could "
          "reach the network");
    if (!user_isolated)
      note(
          "humaneval: NOT ISOLATED: generated code ran as the user running `junction eval` (only "
          "root can give it a uid of its own): it could read and write whatever that user can. "
          "Run HumanEval as root in a throwaway container");
    if (!tree_limited) note("humaneval: " + tree_limits_note);
    std::vector<std::pair<int64_t, int64_t>> n_c;
    for (size_t pi = 0; pi < problems.size(); ++pi) {
      int64_t c = 0;
      for (int64_t k = 0; k < n; ++k)
        c += passed[pi * static_cast<size_t>(n) + static_cast<size_t>(k)];
      n_c.push_back({n, c});
    }
    Json metrics = Json::object();
    for (const int64_t k : {1, 10, 100}) {
      if (k > n) break;
      std::vector<double> per_problem;
      for (const auto& [nn, c] : n_c) per_problem.push_back(pass_at_k(nn, c, k));
      metrics["pass@" + std::to_string(k)] = metric(per_problem);
    }
    return {{"samples", total},
            {"resumed_samples", total - static_cast<int64_t>(todo.size())},
            {"samples_per_problem", n},
            {"temperature", o.humaneval_temperature},
            {"style", chat ? "chat (code block extracted)" : "completion (Codex stop sequences)"},
            {"sandbox",
             {{"cpu_seconds", o.sandbox.cpu_seconds},
              {"wall_seconds", o.sandbox.wall_seconds},
              {"address_space_bytes", o.sandbox.address_space},
              {"memory_bytes", o.sandbox.memory_bytes},
              {"network_isolated", isolated},
              {"user_isolated", user_isolated},
              {"tree_limited", tree_limited}}},
            {"data_files", hash_files({file}, o.data_dir)},
            {"metrics", metrics}};
  }

  // The sampled math tasks: k chat samples per problem in the R1 card's zero-shot form, the last
  // \boxed{} after </think> (GSM8K: else the last number), pass@1 / cons@k / pass@k and the
  // reasoning length. Each sample is a line of its own, so a killed run resumes sample by sample;
  // a question's line (its accuracy) follows its last sample.
  Json math(const std::string& name) {
    MathTask task = load_math_task(o.data_dir, name);
    if (o.limit && static_cast<int64_t>(task.problems.size()) > *o.limit)
      task.problems.resize(static_cast<size_t>(*o.limit));
    const int64_t k = std::max(1, o.samples_per_problem);
    const auto n_problems = static_cast<int64_t>(task.problems.size());
    const int64_t total = n_problems * k;
    const auto problem = [&](int64_t i) -> const MathProblem& {
      return task.problems[static_cast<size_t>(i / k)];
    };
    const auto key = [&](int64_t i) {
      return name + "|" + problem(i).id + "#" + std::to_string(i % k);
    };
    const auto question_key = [&](int64_t q) {
      return name + "|question|" + task.problems[static_cast<size_t>(q)].id;
    };
    if (k > 1 && o.math_temperature == 0)
      note(name + ": " + std::to_string(k) +
           " samples at temperature 0 are the same answer; the R1 card samples at 0.6");
    std::vector<Json> lines(static_cast<size_t>(total));
    for (int64_t i = 0; i < total; ++i) {
      const Json* done = samples.find(key(i));
      if (!done) continue;
      // A sample drawn under other settings would make the mean a mixture: refuse it.
      if (done->value("temperature", -1.0) != o.math_temperature ||
          done->value("top_p", -1.0) != o.math_top_p ||
          done->value("max_tokens", int64_t{-1}) != o.math_max_tokens)
        throw Error("the samples file has " + key(i) + " drawn with temperature " +
                    done->value("temperature", Json()).dump() + ", top_p " +
                    done->value("top_p", Json()).dump() + ", max_tokens " +
                    done->value("max_tokens", Json()).dump() +
                    "; this run asks for other settings: use another --samples file");
      const bool well_formed = done->contains("correct") && (*done)["correct"].is_boolean() &&
                               done->contains("vote_key") &&
                               ((*done)["vote_key"].is_string() || (*done)["vote_key"].is_null()) &&
                               done->contains("reasoning_tokens") &&
                               (*done)["reasoning_tokens"].is_number_integer() &&
                               done->contains("cut_off") && (*done)["cut_off"].is_boolean();
      if (!well_formed)
        throw Error("the samples file's line for " + key(i) +
                    " lacks correct, vote_key, reasoning_tokens or cut_off: remove that line (it "
                    "is sampled again) or use another --samples file");
      lines[static_cast<size_t>(i)] = *done;
    }
    const std::vector<int64_t> todo = pending(total, key);

    // Before the first request: how much this will generate, and (prices known) cost.
    int64_t prompt_chars = 0;
    for (const int64_t i : todo)
      prompt_chars += static_cast<int64_t>(math_prompt(problem(i)).size());
    const auto n_todo = static_cast<int64_t>(todo.size());
    const int64_t est_prompt = n_todo * 8 + estimate_prompt_tokens(prompt_chars) - 8;
    const int64_t max_generated = n_todo * o.math_max_tokens;
    Json estimate = {{"requests", n_todo},
                     {"prompt_tokens", n_todo == 0 ? 0 : est_prompt},
                     {"max_generated_tokens", max_generated}};
    std::string estimate_text =
        name + ": " + std::to_string(n_problems) + " problems x " + std::to_string(k) +
        " samples, " + std::to_string(n_todo) + " requests to send, ~" +
        std::to_string(n_todo == 0 ? 0 : est_prompt) + " prompt tokens, at most " +
        std::to_string(max_generated) + " generated tokens (" + std::to_string(o.math_max_tokens) +
        " each)";
    if (o.price) {
      const double worst = cost_usd(*o.price, n_todo == 0 ? 0 : est_prompt, max_generated);
      estimate["worst_case_usd"] = worst;
      estimate_text += ", at most $" + format_g(worst) + " at $" +
                       format_g(o.price->input_per_mtok) + "/$" +
                       format_g(o.price->output_per_mtok) + " per million tokens";
    }
    if (o.max_cost) estimate_text += "; --max-cost $" + format_g(*o.max_cost);
    note(estimate_text);

    // Samples still missing per question: the one that finishes a question writes its line.
    std::vector<std::atomic<int64_t>> missing(static_cast<size_t>(n_problems));
    for (const int64_t i : todo) ++missing[static_cast<size_t>(i / k)];
    std::set<int64_t> summarized;
    std::mutex summarized_mutex;
    const auto write_question = [&](int64_t q) {
      const Json line = question_line(task, q, k, lines, question_key(q));
      samples.append(line);
      std::lock_guard<std::mutex> lock(summarized_mutex);
      summarized.insert(q);
    };

    EvalProgress progress(o.log, o.terminal, name, total, total - n_todo);
    std::atomic<bool> capped{false};
    parallel_for_each(n_todo, o.concurrency, [&](int64_t t) {
      const int64_t i = todo[static_cast<size_t>(t)];
      const MathProblem& p = problem(i);
      const std::string prompt = math_prompt(p);
      const int64_t reserve_prompt = prompt_tokens_upper_bound(static_cast<int64_t>(prompt.size()));
      if (capped || !cost.reserve(reserve_prompt, o.math_max_tokens)) {
        capped = true;
        return;
      }
      GenerationParams gp;
      gp.max_tokens = o.math_max_tokens;
      gp.temperature = o.math_temperature;
      gp.top_p = o.math_top_p;
      gp.seed = static_cast<uint64_t>(i % k);
      Generation g;
      try {
        g = model.chat({{"user", prompt}}, gp);
      } catch (...) {
        cost.settle(reserve_prompt, o.math_max_tokens, 0, 0);
        throw;
      }
      cost.settle(reserve_prompt, o.math_max_tokens, g.prompt_tokens, g.completion_tokens);
      prompt_tokens += g.prompt_tokens;
      completion_tokens += g.completion_tokens;
      const bool cut_off = g.finish_reason == "length";
      // parse_generation split the reasoning off at </think>: the answer is what follows it.
      const std::string answer_text = g.reasoning.empty() ? g.text : "</think>" + g.text;
      const auto extracted = extract_math_answer(answer_text, cut_off, task.last_number_fallback);
      const bool correct = extracted && math_answers_equal(*extracted, p.gold);
      int64_t reasoning_tokens = g.reasoning_tokens;
      const char* reasoning_source = "usage";
      if (reasoning_tokens < 0) {
        reasoning_source = "estimated";
        const bool unclosed =
            g.reasoning.empty() && (g.text.find("<think>") != std::string::npos ||
                                    (cut_off && g.text.find("</think>") == std::string::npos));
        const double chars = static_cast<double>(g.reasoning.size() + g.text.size());
        reasoning_tokens = unclosed    ? g.completion_tokens
                           : chars > 0 ? static_cast<int64_t>(std::llround(
                                             static_cast<double>(g.completion_tokens) *
                                             static_cast<double>(g.reasoning.size()) / chars))
                                       : 0;
      }
      Json s = {{"key", key(i)},
                {"task", name},
                {"doc_id", p.id},
                {"sample_index", i % k},
                {"seed", i % k},
                {"temperature", o.math_temperature},
                {"top_p", o.math_top_p},
                {"max_tokens", o.math_max_tokens},
                {"gold", p.gold},
                {"output", g.text},
                {"reasoning_chars", g.reasoning.size()},
                {"reasoning_tokens", reasoning_tokens},
                {"reasoning_tokens_source", reasoning_source},
                {"finish_reason", g.finish_reason},
                {"cut_off", cut_off},
                {"extracted", extracted ? Json(*extracted) : Json()},
                {"vote_key", extracted ? Json(math_answer_vote_key(*extracted)) : Json()},
                {"correct", correct},
                {"prompt_tokens", g.prompt_tokens},
                {"completion_tokens", g.completion_tokens}};
      samples.append(s);
      lines[static_cast<size_t>(i)] = std::move(s);
      progress.advance(1, g.completion_tokens);
      if (--missing[static_cast<size_t>(i / k)] == 0) write_question(i / k);
    });
    progress.finish();
    if (capped) {
      int64_t left = 0;
      for (const Json& l : lines) left += l.is_null();
      throw Error(name + ": stopped before --max-cost $" + format_g(*o.max_cost) + " (spent $" +
                  format_g(cost.spent_usd()) + "); " + std::to_string(left) +
                  " samples not drawn. The samples file keeps the finished ones: rerun with a "
                  "higher --max-cost to resume");
    }
    // Questions finished in an earlier run whose line was lost with it.
    for (int64_t q = 0; q < n_problems; ++q) {
      const Json* old = samples.find(question_key(q));
      const Json now = question_line(task, q, k, lines, question_key(q));
      if (!summarized.count(q) && (!old || old->value("samples", int64_t{0}) != k ||
                                   old->value("correct", int64_t{-1}) != now["correct"]))
        samples.append(now);
    }

    std::vector<QuestionTally> tallies;
    std::vector<double> per_sample, per_question;
    int64_t cut = 0, unanswered = 0;
    std::set<std::string> sources;
    for (int64_t q = 0; q < n_problems; ++q) {
      std::vector<SampleVerdict> verdicts;
      double sum = 0;
      for (int64_t s = 0; s < k; ++s) {
        const Json& l = lines[static_cast<size_t>(q * k + s)];
        const Json& vk = l.at("vote_key");
        verdicts.push_back(
            {vk.is_string() ? std::optional<std::string>(vk.get<std::string>()) : std::nullopt,
             l.at("correct").get<bool>()});
        const auto r = static_cast<double>(l.at("reasoning_tokens").get<int64_t>());
        per_sample.push_back(r);
        sum += r;
        cut += l.at("cut_off").get<bool>();
        unanswered += vk.is_null();
        sources.insert(l.value("reasoning_tokens_source", "usage"));
      }
      tallies.push_back(tally_question(verdicts));
      per_question.push_back(sum / static_cast<double>(k));
    }
    const SampledMetrics sm = sampled_metrics(tallies);
    const auto metric_of = [&](const ValueWithStderr& v) {
      return Json{{"value", v.value}, {"stderr", v.stderr_value}, {"n", n_problems}};
    };
    Json metrics = Json::object();
    metrics["pass@1"] = metric_of(sm.pass_at_1);
    metrics["cons@" + std::to_string(k)] = metric_of(sm.cons_at_k);
    for (const auto& [j, v] : sm.pass_at) metrics["pass@" + std::to_string(j)] = metric_of(v);
    const auto lengths = [](const LengthSummary& l) {
      return Json{{"n", l.n},     {"mean", l.mean}, {"p10", l.p10},
                  {"p50", l.p50}, {"p90", l.p90},   {"max", l.max}};
    };
    std::string source;
    for (const std::string& s : sources) source += (source.empty() ? "" : "+") + s;
    return {{"mode", "sampled"},
            {"problems", n_problems},
            {"samples", total},
            {"samples_per_problem", k},
            {"resumed_samples", total - n_todo},
            {"unanswered", unanswered},
            {"temperature", o.math_temperature},
            {"top_p", o.math_top_p},
            {"max_tokens", o.math_max_tokens},
            {"seeds", "sample index (0..k-1)"},
            {"prompt",
             "zero-shot chat, no system prompt: the problem, then \"Please reason step by step, "
             "and put your final answer within \\boxed{}.\" (DeepSeek-R1 card)"},
            {"extraction", task.last_number_fallback
                               ? "last \\boxed{} after </think>, else the last number"
                               : "last \\boxed{} after </think>"},
            {"comparison", "integers exactly, other numbers within relative 1e-4"},
            {"reasoning",
             {{"tokens_per_sample", lengths(summarize_lengths(per_sample))},
              {"mean_tokens_per_question", lengths(summarize_lengths(per_question))},
              {"cut_off", cut},
              {"cut_off_share",
               total > 0 ? static_cast<double>(cut) / static_cast<double>(total) : 0.0},
              {"tokens_source", source}}},
            {"estimate", estimate},
            {"cost_usd", o.price ? Json(cost.spent_usd()) : Json()},
            {"data_files", hash_files(task.files, o.data_dir)},
            {"metrics", metrics}};
  }

  // A question's line in the samples file: its accuracy over its k samples and their vote.
  static Json question_line(const MathTask& task, int64_t q, int64_t k,
                            const std::vector<Json>& lines, const std::string& key) {
    const MathProblem& p = task.problems[static_cast<size_t>(q)];
    std::vector<SampleVerdict> verdicts;
    double reasoning = 0;
    int64_t cut = 0;
    for (int64_t s = 0; s < k; ++s) {
      const Json& l = lines[static_cast<size_t>(q * k + s)];
      if (l.is_null()) continue;
      const Json& vk = l.at("vote_key");
      verdicts.push_back(
          {vk.is_string() ? std::optional<std::string>(vk.get<std::string>()) : std::nullopt,
           l.at("correct").get<bool>()});
      reasoning += static_cast<double>(l.at("reasoning_tokens").get<int64_t>());
      cut += l.at("cut_off").get<bool>();
    }
    const QuestionTally t = tally_question(verdicts);
    const double n = std::max<double>(1, static_cast<double>(t.n));
    return {{"key", key},
            {"type", "question"},
            {"task", task.name},
            {"doc_id", p.id},
            {"prompt", math_prompt(p)},
            {"gold", p.gold},
            {"samples", t.n},
            {"correct", t.correct},
            {"accuracy", static_cast<double>(t.correct) / n},
            {"majority_answer", t.majority ? Json(*t.majority) : Json()},
            {"majority_correct", t.majority_correct},
            {"reasoning_tokens_mean", reasoning / n},
            {"cut_off", cut}};
  }

  Json mt_bench() {
    MtBenchData data = load_mt_bench(o.data_dir);
    if (o.limit && static_cast<int64_t>(data.questions.size()) > *o.limit)
      data.questions.resize(static_cast<size_t>(*o.limit));
    ScoringBackend& judge_backend = judge ? *judge : model;
    if (!judge)
      note(
          "mt_bench: no --judge-endpoint: the model judges itself (not comparable with "
          "GPT-4-judged scores)");
    const auto key = [&](int64_t i) {
      return "mt_bench|" + std::to_string(data.questions[static_cast<size_t>(i)].question_id);
    };
    const int64_t total = static_cast<int64_t>(data.questions.size());
    const std::vector<int64_t> todo = pending(total, key);
    EvalProgress progress(o.log, o.terminal, "mt_bench", total,
                          total - static_cast<int64_t>(todo.size()));
    std::vector<Json> lines(static_cast<size_t>(total));
    for (int64_t i = 0; i < total; ++i)
      if (const Json* s = samples.find(key(i))) lines[static_cast<size_t>(i)] = *s;
    parallel_for_each(static_cast<int64_t>(todo.size()), o.concurrency, [&](int64_t t) {
      const int64_t i = todo[static_cast<size_t>(t)];
      const MtBenchQuestion& q = data.questions[static_cast<size_t>(i)];
      GenerationParams gp;
      gp.max_tokens = o.mt_bench_max_tokens;
      gp.temperature = mt_bench_temperature(q.category);
      std::vector<ChatMessage> conversation;
      std::vector<std::string> answers;
      for (const std::string& turn : q.turns) {
        conversation.push_back({"user", turn});
        const Generation g = model.chat(conversation, gp);
        prompt_tokens += g.prompt_tokens;
        completion_tokens += g.completion_tokens;
        answers.push_back(g.text);
        conversation.push_back({"assistant", g.text});
      }
      Json judgments = Json::array();
      for (int turn = 1; turn <= static_cast<int>(q.turns.size()) && turn <= 2; ++turn) {
        const JudgeRequest jr = mt_bench_judge_request(data, q, turn, answers);
        GenerationParams jp;
        jp.max_tokens = o.judge_max_tokens;
        jp.temperature = 0;
        const Generation j =
            judge_backend.chat({{"system", jr.system_prompt}, {"user", jr.user_prompt}}, jp);
        const auto rating = extract_rating(j.text);
        judgments.push_back({{"turn", turn},
                             {"judge_prompt", jr.judge_name},
                             {"judgment", j.text},
                             {"rating", rating ? Json(*rating) : Json(-1)}});
      }
      Json s = {{"key", key(i)},
                {"task", "mt_bench"},
                {"doc_id", std::to_string(q.question_id)},
                {"category", q.category},
                {"turns", q.turns},
                {"answers", answers},
                {"temperature", gp.temperature},
                {"judgments", judgments}};
      samples.append(s);
      lines[static_cast<size_t>(i)] = std::move(s);
      progress.advance();
    });
    progress.finish();
    std::vector<MtBenchScore> scores;
    for (const Json& s : lines)
      for (const Json& j : s.at("judgments")) {
        const double r = j.at("rating").get<double>();
        scores.push_back({std::stoi(s.at("doc_id").get<std::string>()),
                          s.at("category").get<std::string>(), j.at("turn").get<int>(),
                          r < 0 ? std::nullopt : std::optional<double>(r)});
      }
    const MtBenchSummary sum = summarize_mt_bench(scores);
    Json metrics = {{"score", {{"value", sum.overall}, {"n", sum.rated}}}};
    if (sum.turn1) metrics["turn_1"] = *sum.turn1;
    if (sum.turn2) metrics["turn_2"] = *sum.turn2;
    metrics["per_category"] = sum.per_category;
    metrics["unrated_turns"] = sum.unrated;
    return {{"samples", total},
            {"resumed_samples", total - static_cast<int64_t>(todo.size())},
            {"judge", judge_backend.endpoint()},
            {"self_judged", judge == nullptr},
            {"data_files", hash_files(data.files, o.data_dir)},
            {"metrics", metrics}};
  }
};

}  // namespace

const std::vector<std::string>& known_tasks() {
  static const std::vector<std::string> tasks = {
      "mmlu",      "hellaswag", "arc_challenge", "arc_easy", "truthfulqa_mc2",
      "humaneval", "mt_bench",  "aime24",        "amc23",    "gsm8k"};
  return tasks;
}

Json run_eval(ScoringBackend& model, ScoringBackend* judge, const EvalOptions& o) {
  for (const std::string& t : o.tasks)
    if (std::find(known_tasks().begin(), known_tasks().end(), t) == known_tasks().end())
      throw Error("unknown task \"" + t +
                  "\" (known: mmlu, hellaswag, arc_challenge, arc_easy, "
                  "truthfulqa_mc2, humaneval, mt_bench, aime24, amc23, gsm8k)");
  if (o.mode != "loglikelihood" && o.mode != "generative")
    throw Error("--mode is loglikelihood or generative, not " + o.mode);
  const auto t0 = Clock::now();
  SamplesFile samples(o.samples_path);
  TaskRun run{o, model, judge, samples};
  Json tasks = Json::object();
  for (const std::string& name : o.tasks) {
    const auto t_task = Clock::now();
    const int64_t p0 = run.prompt_tokens, c0 = run.completion_tokens;
    Json r;
    if (is_math_task(name)) {
      r = run.math(name);
    } else if (name == "humaneval") {
      r = run.humaneval();
    } else if (name == "mt_bench") {
      r = run.mt_bench();
    } else if (o.mode == "generative") {
      r = run.generative_multiple_choice(name);
    } else {
      r = run.multiple_choice(name);
    }
    r["wall_time_s"] = std::chrono::duration<double>(Clock::now() - t_task).count();
    r["tokens"] = {{"prompt", run.prompt_tokens - p0}, {"completion", run.completion_tokens - c0}};
    tasks[name] = std::move(r);
  }
  return {{"junction_eval_format", 1},
          {"model", o.model},
          {"endpoint", model.endpoint()},
          {"started_at", now_utc()},
          {"settings",
           {{"mode", o.mode},
            {"limit", o.limit ? Json(*o.limit) : Json()},
            {"num_fewshot", o.num_fewshot ? Json(*o.num_fewshot) : Json("task default")},
            {"concurrency", o.concurrency},
            {"max_tokens",
             {{"generative", o.generative_max_tokens},
              {"humaneval", o.humaneval_max_tokens},
              {"mt_bench", o.mt_bench_max_tokens},
              {"judge", o.judge_max_tokens},
              {"math", o.math_max_tokens}}},
            {"sampling",
             {{"samples_per_problem", std::max(1, o.samples_per_problem)},
              {"temperature", o.math_temperature},
              {"top_p", o.math_top_p},
              {"max_cost_usd", o.max_cost ? Json(*o.max_cost) : Json()}}},
            {"tokenization",
             "lm-eval: context+continuation tokenized whole, context tokens cut off, no BOS"},
            {"data_dir", o.data_dir.string()}}},
          {"tasks", tasks},
          {"wall_time_s", std::chrono::duration<double>(Clock::now() - t0).count()},
          {"tokens",
           {{"prompt", run.prompt_tokens.load()}, {"completion", run.completion_tokens.load()}}}};
}

}  // namespace junction::eval
