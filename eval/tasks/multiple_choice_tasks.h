// Loaders for the multiple-choice (loglikelihood) tasks. Each reads the original release's
// format from a --data folder laid out like shared/datasets/ and builds lm-eval's exact context
// strings; one .cc per task (mmlu.cc, arc.cc, hellaswag.cc, truthfulqa.cc).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eval/multiple_choice.h"

namespace junction::eval {

struct MultipleChoiceTask {
  std::string name;  // "mmlu", "arc_challenge", "arc_easy", "hellaswag", "truthfulqa_mc2"
  int num_fewshot = 0;
  std::vector<MultipleChoiceDoc> docs;       // in file order; doc.task names the subtask
  std::vector<std::filesystem::path> files;  // every data file read (hashed in the result)
  std::vector<std::string> notes;            // where this differs from the published setup
};

// mmlu/test/<subject>_test.csv scored, mmlu/dev/<subject>_dev.csv for shots (default 5), every
// subject the folder holds. Header `question,choice0..3,answer` (answer 0-3) or the original
// headerless files (answer A-D).
MultipleChoiceTask load_mmlu(const std::filesystem::path& data_dir, std::optional<int> num_fewshot);

// arc/ARC-{Challenge,Easy}-Test.jsonl scored, -Train.jsonl for shots (default 25), acc_norm.
MultipleChoiceTask load_arc(const std::filesystem::path& data_dir, bool challenge,
                            std::optional<int> num_fewshot);

// hellaswag/hellaswag_val.jsonl (the original release; shots from hellaswag_train.jsonl,
// default 10) or, failing that, llama.cpp's text format hellaswag_val_full.txt[.bz2] (0-shot
// only, and its contexts are `ctx`, not lm-eval's ctx_a + " " + ctx_b.capitalize(): noted).
MultipleChoiceTask load_hellaswag(const std::filesystem::path& data_dir,
                                  std::optional<int> num_fewshot);

// truthfulqa/v0/mc_task.json (the HF / lm-eval version), 0-shot with the 6-QA preamble.
MultipleChoiceTask load_truthfulqa_mc2(const std::filesystem::path& data_dir,
                                       std::optional<int> num_fewshot);

// lm-eval's hellaswag preprocess(): strip, " [title]" -> ". ", drop [..] tags, "  " -> " ".
std::string hellaswag_preprocess(const std::string& text);

}  // namespace junction::eval
