#include "eval/fewshot.h"

namespace junction::eval {

std::string fewshot_context(const std::string& description,
                            const std::vector<LabelledExample>& shots, const std::string& query,
                            const std::string& target_delimiter,
                            const std::string& fewshot_delimiter) {
  std::string out = description;
  for (const LabelledExample& shot : shots)
    out += shot.text + target_delimiter + shot.target + fewshot_delimiter;
  return out + query;
}

}  // namespace junction::eval
