#include "eval/multiple_choice.h"

#include "eval/metrics.h"

namespace junction::eval {

std::string continuation(const MultipleChoiceDoc& doc, size_t i) {
  return doc.target_delimiter + doc.choices[i];
}

MultipleChoiceResult metrics_from_loglikelihoods(const MultipleChoiceDoc& doc,
                                                 const std::vector<double>& lls) {
  MultipleChoiceResult r;
  std::vector<int64_t> chars;
  for (const std::string& c : doc.choices) chars.push_back(count_code_points(c));
  r.prediction = argmax(lls);
  r.prediction_norm = argmax_char_normalized(lls, chars);
  if (!doc.mc2_labels.empty()) {
    r.mc2 = truthfulqa_mc2(lls, doc.mc2_labels);
  } else {
    r.acc = r.prediction == doc.gold ? 1.0 : 0.0;
    r.acc_norm = r.prediction_norm == doc.gold ? 1.0 : 0.0;
  }
  return r;
}

MultipleChoiceResult score(ScoringBackend& backend, const MultipleChoiceDoc& doc) {
  std::vector<Loglikelihood> choices;
  std::vector<double> lls;
  for (size_t i = 0; i < doc.choices.size(); ++i) {
    choices.push_back(loglikelihood(backend, doc.context, continuation(doc, i)));
    lls.push_back(choices.back().logprob);
  }
  MultipleChoiceResult r = metrics_from_loglikelihoods(doc, lls);
  r.choices = std::move(choices);
  return r;
}

}  // namespace junction::eval
