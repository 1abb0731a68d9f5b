// Splits a model's output into reasoning (between <think> and </think>) and the rest,
// incrementally. Decisions, matching llama.cpp's reasoning extraction:
//  - `<think>` opens reasoning only at the start of the output (after optional whitespace);
//    with starts_in_reasoning the prompt already opened it (Qwen3 thinking, older R1 templates).
//  - Reasoning is stripped of leading and trailing whitespace; whitespace right after
//    `</think>` is dropped from the content (vLLM keeps it; clients never want it).
//  - No `</think>` by the end (max_tokens cut the thought): everything is reasoning.
//  - Disabled: no split at all, tags included, everything is content.
// Text that might be the start of a tag, or whitespace that might turn out to be trailing, is
// held back until decided.
#pragma once

#include <string>
#include <string_view>

namespace junction::chat {

struct ReasoningOptions {
  bool enabled = true;
  bool starts_in_reasoning = false;
  std::string start_tag = "<think>";
  std::string end_tag = "</think>";
};

class ReasoningParser {
 public:
  struct Delta {
    std::string reasoning;
    std::string content;
  };

  explicit ReasoningParser(ReasoningOptions options = {});
  Delta feed(std::string_view piece);
  Delta finish();

 private:
  enum class State { kStart, kReasoning, kAfterReasoning, kContent };
  void emit_reasoning(Delta& d, std::string_view text);
  void step(Delta& d);

  ReasoningOptions options_;
  State state_;
  std::string buffer_;
  bool reasoning_started_ = false;  // a non-space reasoning byte has been emitted
};

}  // namespace junction::chat
