// lm-eval's fewshot_context for these tasks: description, then K labelled examples
// (doc_to_text + target_delimiter + the gold target) each followed by the fewshot delimiter,
// then the query's doc_to_text. Examples are the first K rows of the few-shot split in file
// order (lm-eval's `first_n` sampler), so a run is reproducible and its shots recorded.
#pragma once

#include <string>
#include <vector>

namespace junction::eval {

struct LabelledExample {
  std::string text;    // doc_to_text of the example
  std::string target;  // its gold target, without the delimiter
};

std::string fewshot_context(const std::string& description,
                            const std::vector<LabelledExample>& shots, const std::string& query,
                            const std::string& target_delimiter = " ",
                            const std::string& fewshot_delimiter = "\n\n");

}  // namespace junction::eval
