// Generative multiple choice, as OpenAI's simple-evals scores MMLU for chat and reasoning
// models: one zero-shot user message asking for a final line "Answer: $LETTER" after step-by-step
// thinking, generated through /v1/chat/completions; the letter is taken from the answer after
// `</think>` (never from unfinished reasoning) with simple-evals' pattern, first match. A
// different measurement from loglikelihood scoring: reported in columns of its own.
#pragma once

#include <optional>
#include <string>

#include "eval/multiple_choice.h"

namespace junction::eval {

// simple-evals' QUERY_TEMPLATE_MULTICHOICE, generalized from ABCD to as many letters as
// choices (ARC has 3-5, TruthfulQA mc1 up to 13).
std::string generative_choice_prompt(const LetteredQuestion& q);

// The letter index the output answers, or nullopt: the text after the last `</think>` (none
// when a `<think>` was opened and never closed: the answer was cut off), searched for
// `(?i)Answer[ \t]*:[ \t]*\$?([A-Z])\$?` within the first n_choices letters, first match, as
// simple-evals' re.search. A lower-case letter counts as extracted but matches no choice
// (simple-evals compares it with the upper-case key), so it returns nullopt too.
std::optional<int> extract_choice_letter(const std::string& output, size_t n_choices);

// The part of a model output after its reasoning: after the last `</think>`; "" when a
// `<think>` is never closed; else the whole text.
std::string answer_after_think(const std::string& output);

}  // namespace junction::eval
