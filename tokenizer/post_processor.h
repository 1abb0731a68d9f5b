// Post-processors from HF tokenizer.json ("post_processor"), single-sequence only: what
// encode(..., add_special_tokens=true) wraps around the ids (Llama's "<s> $A" template).
// Supports TemplateProcessing, BertProcessing/RobertaProcessing, ByteLevel (a no-op on ids)
// and Sequence.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace junction::tokenizer {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(std::vector<int32_t>& ids) const = 0;
};

std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& json,
                                                   const std::string& where);

}  // namespace junction::tokenizer
