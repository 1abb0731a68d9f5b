#include "eval/dataset_sources.h"

#include <algorithm>

#include "core/error.h"

namespace junction::eval {
namespace {

const std::string kGithub = "https://raw.githubusercontent.com/";
const std::string kFastChat = kGithub + "lm-sys/FastChat/main/";
// The math tasks as Qwen2.5-Math's evaluation packages them, at the commit shared/datasets
// records (the files' sha256 there match it).
const std::string kQwenMath =
    kGithub + "QwenLM/Qwen2.5-Math/a45202bd16f1ec06f433442dc1152d0074773465/";

std::vector<DatasetSource> sources_of(const std::string& family) {
  if (family == "mmlu")
    return {{"mmlu",
             "https://people.eecs.berkeley.edu/~hendrycks/data.tar",
             "",
             "tar",
             {{"data/dev/", "_dev.csv", "mmlu/dev/"}, {"data/test/", "_test.csv", "mmlu/test/"}}},
            {"mmlu", kGithub + "hendrycks/test/master/LICENSE", "mmlu/LICENSE", "", {}, true}};
  if (family == "arc")
    return {{"arc",
             "https://ai2-public-datasets.s3.amazonaws.com/arc/ARC-V1-Feb2018.zip",
             "",
             "zip",
             {{"ARC-V1-Feb2018-2/ARC-Challenge/ARC-Challenge-", ".jsonl", "arc/ARC-Challenge-"},
              {"ARC-V1-Feb2018-2/ARC-Easy/ARC-Easy-", ".jsonl", "arc/ARC-Easy-"}}}};
  if (family == "hellaswag")
    return {{"hellaswag",
             kGithub + "rowanz/hellaswag/master/data/hellaswag_val.jsonl",
             "hellaswag/hellaswag_val.jsonl",
             "",
             {}},
            {"hellaswag",
             kGithub + "rowanz/hellaswag/master/data/hellaswag_train.jsonl",
             "hellaswag/hellaswag_train.jsonl",
             "",
             {}},
            {"hellaswag",
             kGithub + "rowanz/hellaswag/master/LICENSE",
             "hellaswag/LICENSE",
             "",
             {},
             true}};
  if (family == "truthfulqa")
    return {{"truthfulqa",
             kGithub + "sylinrl/TruthfulQA/main/data/v0/mc_task.json",
             "truthfulqa/v0/mc_task.json",
             "",
             {}},
            {"truthfulqa",
             kGithub + "sylinrl/TruthfulQA/main/LICENSE",
             "truthfulqa/LICENSE",
             "",
             {},
             true}};
  if (family == "humaneval")
    return {{"humaneval",
             kGithub + "openai/human-eval/master/data/HumanEval.jsonl.gz",
             "humaneval/HumanEval.jsonl.gz",
             "",
             {}},
            {"humaneval",
             kGithub + "openai/human-eval/master/LICENSE",
             "humaneval/LICENSE",
             "",
             {},
             true}};
  if (family == "mt_bench")
    return {{"mt_bench",
             kFastChat + "fastchat/llm_judge/data/mt_bench/question.jsonl",
             "mt_bench/question.jsonl",
             "",
             {}},
            {"mt_bench",
             kFastChat + "fastchat/llm_judge/data/mt_bench/reference_answer/gpt-4.jsonl",
             "mt_bench/reference_answer/gpt-4.jsonl",
             "",
             {}},
            {"mt_bench",
             kFastChat + "fastchat/llm_judge/data/judge_prompts.jsonl",
             "mt_bench/judge_prompts.jsonl",
             "",
             {}},
            {"mt_bench", kFastChat + "LICENSE", "mt_bench/LICENSE", "", {}, true}};
  if (family == "aime24" || family == "amc23" || family == "gsm8k")
    return {{family,
             kQwenMath + "evaluation/data/" + family + "/test.jsonl",
             family + "/test.jsonl",
             "",
             {}},
            {family, kQwenMath + "LICENSE", family + "/LICENSE", "", {}, true}};
  return {};
}

std::string family_of(const std::string& task) {
  if (task == "arc_challenge" || task == "arc_easy") return "arc";
  if (task == "truthfulqa_mc2") return "truthfulqa";
  if (task == "mmlu" || task == "hellaswag" || task == "humaneval" || task == "mt_bench" ||
      task == "aime24" || task == "amc23" || task == "gsm8k")
    return task;
  throw Error("unknown task \"" + task + "\" to download data for");
}

}  // namespace

std::vector<DatasetSource> dataset_sources(const std::vector<std::string>& tasks) {
  std::vector<std::string> families;
  for (const std::string& t : tasks) {
    const std::string f = family_of(t);
    if (std::find(families.begin(), families.end(), f) == families.end()) families.push_back(f);
  }
  std::vector<DatasetSource> out;
  for (const std::string& f : families)
    for (DatasetSource& s : sources_of(f)) out.push_back(std::move(s));
  return out;
}

std::string mirrored_url(const std::string& url, const std::string& mirror) {
  if (mirror.empty()) return url;
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) throw Error("not an absolute URL: " + url);
  std::string base = mirror;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + url.substr(scheme + 3);
}

}  // namespace junction::eval
