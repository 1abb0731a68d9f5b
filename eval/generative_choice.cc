#include "eval/generative_choice.h"

#include <cctype>

namespace junction::eval {

std::string generative_choice_prompt(const LetteredQuestion& q) {
  std::string letters;
  for (size_t i = 0; i < q.choices.size(); ++i) letters += static_cast<char>('A' + i);
  std::string s =
      "Answer the following multiple choice question. The last line of your response should be "
      "of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of " +
      letters + ". Think step by step before answering.\n\n" + q.question + "\n";
  for (size_t i = 0; i < q.choices.size(); ++i)
    s += std::string("\n") + static_cast<char>('A' + i) + ") " + q.choices[i];
  return s;
}

std::string answer_after_think(const std::string& output) {
  const std::string close = "</think>";
  if (const size_t end = output.rfind(close); end != std::string::npos)
    return output.substr(end + close.size());
  if (output.find("<think>") != std::string::npos) return "";
  return output;
}

std::optional<int> extract_choice_letter(const std::string& output, size_t n_choices) {
  const std::string text = answer_after_think(output);
  const auto blank = [&](size_t i) {
    return i < text.size() && (text[i] == ' ' || text[i] == '\t');
  };
  for (size_t at = 0; at + 6 <= text.size(); ++at) {
    static constexpr char kWord[] = "answer";
    size_t i = at;
    bool word = true;
    for (size_t k = 0; k < 6 && word; ++k, ++i)
      word = std::tolower(static_cast<unsigned char>(text[i])) == kWord[k];
    if (!word) continue;
    while (blank(i)) ++i;
    if (i >= text.size() || text[i] != ':') continue;
    ++i;
    while (blank(i)) ++i;
    if (i < text.size() && text[i] == '$') ++i;
    if (i >= text.size()) continue;
    const char c = text[i];
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper < 'A' || upper >= static_cast<char>('A' + n_choices)) continue;
    // The first match decides, even when it names no choice in upper case.
    if (c != upper) return std::nullopt;
    return upper - 'A';
  }
  return std::nullopt;
}

}  // namespace junction::eval
