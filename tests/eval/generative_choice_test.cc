// Generative multiple choice against hand-written cases of simple-evals' definitions: the
// prompt's exact text (QUERY_TEMPLATE_MULTICHOICE), and the answer pattern
// `(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?` applied with re.search (first match) to the text
// after `</think>`.
#include <gtest/gtest.h>

#include <set>

#include "eval/generative_choice.h"
#include "eval/tasks/multiple_choice_tasks.h"

namespace junction::eval {
namespace {

TEST(GenerativeChoice, PromptIsSimpleEvalsTemplate) {
  const LetteredQuestion q{"What is 2 + 2?", {"3", "4", "5", "22"}, 1};
  EXPECT_EQ(generative_choice_prompt(q),
            "Answer the following multiple choice question. The last line of your response "
            "should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER "
            "is one of ABCD. Think step by step before answering.\n\nWhat is 2 + 2?\n\nA) 3\nB) "
            "4\nC) 5\nD) 22");
  const LetteredQuestion three{"Q", {"x", "y", "z"}, 0};
  EXPECT_NE(generative_choice_prompt(three).find("one of ABC."), std::string::npos);
}

TEST(GenerativeChoice, ExtractsTheFirstAnswerLine) {
  EXPECT_EQ(extract_choice_letter("2 + 2 = 4.\nAnswer: B", 4), 1);
  EXPECT_EQ(extract_choice_letter("answer:\t$C$", 4), 2);
  EXPECT_EQ(extract_choice_letter("ANSWER :D", 4), 3);
  // re.search: the first match wins, even when a later line says otherwise.
  EXPECT_EQ(extract_choice_letter("Answer: A\nWait, no.\nAnswer: B", 4), 0);
  // A letter past the choices is no match here; the search goes on.
  EXPECT_EQ(extract_choice_letter("Answer: E ... Answer: C", 4), 2);
  EXPECT_EQ(extract_choice_letter("Answer: E", 5), 4);
  // (?i) matches "answer: b", which then equals no upper-case key.
  EXPECT_FALSE(extract_choice_letter("answer: b", 4).has_value());
  EXPECT_FALSE(extract_choice_letter("The answer is B.", 4).has_value());
  EXPECT_FALSE(extract_choice_letter("Answers: B", 4).has_value());
  EXPECT_FALSE(extract_choice_letter("", 4).has_value());
}

TEST(GenerativeChoice, OnlyTheTextAfterThinkCounts) {
  EXPECT_EQ(extract_choice_letter("<think>Answer: A? no</think>\nAnswer: D", 4), 3);
  // Reasoning that never closed: the model ran out of tokens before answering.
  EXPECT_FALSE(extract_choice_letter("<think>Answer: A is tempting", 4).has_value());
  // A chat template that opens <think> in the prompt leaves only the closing tag in the output.
  EXPECT_EQ(extract_choice_letter("Answer: A</think>Answer: C", 4), 2);
  EXPECT_EQ(answer_after_think("a</think>b</think>c"), "c");
}

TEST(GenerativeChoice, TasksCarryLetteredQuestions) {
  const std::string data = std::string(JUNCTION_TEST_DATA) + "/eval/datasets";
  const MultipleChoiceTask mmlu = load_mmlu(data, 0);
  ASSERT_FALSE(mmlu.docs.empty());
  EXPECT_EQ(mmlu.docs[0].lettered.choices.size(), 4u);
  EXPECT_EQ(mmlu.docs[0].lettered.gold, mmlu.docs[0].gold);
  EXPECT_EQ(mmlu.docs[0].context.find(mmlu.docs[0].lettered.question) != std::string::npos, true);
  // TruthfulQA: the mc1 targets, shuffled so that the true answer is not always "A"; the gold
  // letter still points at the true one (mc1's first target in the file).
  const MultipleChoiceTask tqa = load_truthfulqa_mc2(data, 0);
  ASSERT_EQ(tqa.docs.size(), 3u);
  std::set<int> golds;
  for (const MultipleChoiceDoc& d : tqa.docs) {
    ASSERT_GE(d.lettered.gold, 0);
    golds.insert(d.lettered.gold);
    EXPECT_EQ(d.lettered.choices[static_cast<size_t>(d.lettered.gold)], d.choices[0])
        << "mc1's true answer is mc2's first target in v0";
  }
  EXPECT_GT(golds.size(), 1u);
  const MultipleChoiceTask arc = load_arc(data, true, 0);
  EXPECT_EQ(arc.docs[0].lettered.choices, arc.docs[0].choices);
}

}  // namespace
}  // namespace junction::eval
