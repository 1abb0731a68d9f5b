// How many generated tokens were reasoning, as OpenAI's
// usage.completion_tokens_details.reasoning_tokens reports them: the tokens up to and with
// `</think>` when the prompt opened the block (R1-style templates end in `<think>\n`) or the
// output opens with `<think>` (after whitespace); none when the output starts with anything
// else. One count for the server's answers and in-process eval. Pure: text in, a number out.
#pragma once

#include <cstdint>
#include <string_view>

namespace junction {

class ReasoningTokenCounter {
 public:
  explicit ReasoningTokenCounter(bool starts_in_reasoning)
      : in_reasoning_(starts_in_reasoning), decided_(starts_in_reasoning) {}

  // After each generated token, with the whole output so far (this token's text included).
  void add_token(std::string_view text_so_far);

  // Reasoning tokens so far; 0 while the output has not yet said whether it reasons (only
  // whitespace or a prefix of "<think>").
  int64_t count() const { return decided_ ? n_ : 0; }

 private:
  bool in_reasoning_;
  bool decided_;
  int64_t n_ = 0;
  size_t scanned_ = 0;  // bytes of the output already searched for </think>
};

}  // namespace junction
