// libFuzzer target: `junction eval`'s readers of what a model wrote, on arbitrary text: the math
// answer (eval/math_answer.h: the region after reasoning, the last box, the last number,
// normalisation, the number's value, comparison, the vote key), the letter of a generative
// multiple-choice answer, and an MT-Bench judge's rating. A model's output is outside input: a
// crash, an exception or a sanitizer report is a bug. The text is also compared with its own
// two halves, so math_answers_equal sees two unrelated answers.
//   build-fuzz/fuzz/eval_answer_fuzz -max_len=1048576 -max_total_time=600
#include <cstddef>
#include <cstdint>
#include <string>

#include "eval/generative_choice.h"
#include "eval/math_answer.h"
#include "eval/tasks/mt_bench.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace junction::eval;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string a = text.substr(0, size / 2), b = text.substr(size / 2);
  for (const bool cut_off : {false, true}) {
    (void)final_answer_region(text, cut_off);
    for (const bool fallback : {false, true}) {
      const auto answer = extract_math_answer(text, cut_off, fallback);
      if (answer) (void)math_answers_equal(*answer, b);
    }
  }
  (void)last_boxed(text);
  (void)last_number(text);
  (void)normalize_math_answer(text);
  (void)parse_math_number(text);
  (void)math_answer_vote_key(text);
  (void)math_answers_equal(a, b);
  (void)math_answers_equal(text, text);
  (void)answer_after_think(text);
  (void)extract_choice_letter(text, 4);
  (void)extract_choice_letter(text, 26);
  (void)extract_rating(text);
  return 0;
}
