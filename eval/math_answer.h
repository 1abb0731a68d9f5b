// The final answer of a math reasoning output and whether it equals the reference, as the
// DeepSeek-R1 card's protocol asks for it ("put your final answer within \boxed{}"): the last
// `\boxed{}` of the text after the reasoning, or, where a task's convention says so (GSM8K, as
// lm-eval's flexible extract), the last number when no box is given. Comparison follows
// Qwen2.5-Math's grader in spirit: integers exactly, other numbers within a relative 1e-4
// (its math.isclose), after stripping what only formats ("1,000", "$", "\text{ dollars}",
// "\dfrac"). Symbolic answers (intervals, expressions) are compared as normalized text only.
// Pure: no I/O.
#pragma once

#include <optional>
#include <string>

namespace junction::eval {

// The text a final answer may be read from: after the last `</think>`; "" when a `<think>` is
// never closed, or when the output was cut off by the token limit before any `</think>` (a box
// in unfinished text is the reasoning's, not an answer); else the whole text.
std::string final_answer_region(const std::string& output, bool cut_off);

// The content of the last `\boxed{...}` (or `\fbox{...}`) in `text`, nested braces balanced;
// `\boxed 7` (LaTeX's brace-less argument) gives its token. nullopt when there is none, or when
// the last one's braces never close (an answer cut off inside its box).
std::optional<std::string> last_boxed(const std::string& text);

// The last number written in `text` ("-3", "1,234.5", ".5"), as written; nullopt if none.
std::optional<std::string> last_number(const std::string& text);

// The answer of a whole output: last_boxed of final_answer_region (an empty box: none), else
// (with `last_number_fallback`) last_number of it.
std::optional<std::string> extract_math_answer(const std::string& output, bool cut_off,
                                               bool last_number_fallback);

// The answer without what only formats it: spaces, surrounding $, `\left`/`\right`, `\!`,
// `\dfrac`/`\tfrac` -> `\frac`, U+2212 -> '-', `\text{}`/`\mbox{}` units, degrees, percent,
// thousands commas, a trailing period, and a leading "x =".
std::string normalize_math_answer(const std::string& answer);

// The value of a numeric answer: a decimal ("1,000", "-0.5", "18 \text{dollars}"), `\frac{a}{b}`
// or "a/b" of such; nullopt for anything else.
std::optional<double> parse_math_number(const std::string& answer);

// Whether `predicted` answers `gold`: both numbers -> integers exactly (no tolerance when gold is
// a whole number), others within relative 1e-4; otherwise their normalized texts are equal.
bool math_answers_equal(const std::string& predicted, const std::string& gold);

// What majority voting counts as the same answer: the number's value ("%.12g") when it is one,
// else the normalized text. "1,000", "1000" and "1000.0" vote together.
std::string math_answer_vote_key(const std::string& answer);

}  // namespace junction::eval
