// A multiple-choice document (lm-eval's output_type: multiple_choice) and its scoring: one
// loglikelihood request per choice, then acc, acc_norm and, for TruthfulQA, mc2.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eval/loglikelihood.h"
#include "eval/scoring_backend.h"

namespace junction::eval {

// The same question for generative (zero-shot, lettered choices) scoring: the bare question
// without shots or preamble. Its choices are the document's, except for TruthfulQA, whose mc2
// targets have several true answers: there the single-answer mc1 targets stand in.
struct LetteredQuestion {
  std::string question;
  std::vector<std::string> choices;
  int gold = -1;
};

struct MultipleChoiceDoc {
  std::string task;     // "mmlu_abstract_algebra", "arc_challenge", "hellaswag", "truthfulqa_mc2"
  std::string doc_id;   // unique within the task run: "abstract_algebra/0", an ARC id, "12"
  std::string context;  // the exact prompt: description, shots, query
  std::vector<std::string> choices;  // doc_to_choice, without the target delimiter
  std::string target_delimiter = " ";
  int gold = -1;                // index of the right choice; -1 for mc2 documents
  std::vector<int> mc2_labels;  // truthfulqa_mc2: 1 true / 0 false per choice
  LetteredQuestion lettered;    // for --mode generative
};

struct MultipleChoiceResult {
  std::vector<Loglikelihood> choices;  // one per choice, in order
  int prediction = 0;                  // argmax loglikelihood
  int prediction_norm = 0;             // argmax loglikelihood / characters
  std::optional<double> acc, acc_norm, mc2;
};

// The continuation string of choice i: target_delimiter + choices[i].
std::string continuation(const MultipleChoiceDoc& doc, size_t i);

MultipleChoiceResult score(ScoringBackend& backend, const MultipleChoiceDoc& doc);

// The metrics from loglikelihoods alone (used again when resuming from a samples file).
MultipleChoiceResult metrics_from_loglikelihoods(const MultipleChoiceDoc& doc,
                                                 const std::vector<double>& loglikelihoods);

}  // namespace junction::eval
