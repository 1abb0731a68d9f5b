// Qwen3 byte-level BPE against Hugging Face tokenizers 0.23.2: every case of
// tokenizer/qwen3/encode_cases.json, and the chat prompts and greedy continuations of
// models/qwen3-e2e-bf16/chat_refs.json (transformers 5.17.0).
#include <gtest/gtest.h>

#include <vector>

#include "tests/tokenizer/test_data.h"
#include "tokenizer/tokenizer.h"

namespace junction::tokenizer {
namespace {

using testing::data_path;
using testing::read_json;

const Tokenizer& qwen3() {
  static const Tokenizer t = Tokenizer::load(data_path(testing::kQwen3Dir));
  return t;
}

TEST(Qwen3Tokenizer, EncodeCasesMatchHf) {
  const auto cases = read_json(data_path("tokenizer/qwen3/encode_cases.json"))["cases"];
  ASSERT_GT(cases.size(), 90u);
  for (const auto& c : cases) {
    const std::string text = c["text"];
    const auto expected = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(qwen3().encode(text), expected) << "text: " << text;
  }
}

TEST(Qwen3Tokenizer, DecodeCasesMatchHf) {
  const auto cases = read_json(data_path("tokenizer/qwen3/encode_cases.json"))["cases"];
  for (const auto& c : cases) {
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(qwen3().decode(ids), c["decoded"].get<std::string>()) << "text: " << c["text"];
  }
}

TEST(Qwen3Tokenizer, ChatRefs) {
  const auto refs = read_json(data_path(std::string(testing::kQwen3Dir) + "/chat_refs.json"));
  ASSERT_FALSE(refs.empty());
  for (const auto& r : refs) {
    const auto prompt_ids = r["prompt_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(qwen3().encode(r["prompt_text"].get<std::string>()), prompt_ids);
    EXPECT_EQ(qwen3().decode(prompt_ids), r["prompt_text"].get<std::string>());
    const auto greedy_ids = r["greedy_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(qwen3().decode(greedy_ids), r["greedy_text"].get<std::string>());
  }
}

TEST(Qwen3Tokenizer, ConfigAndSpecialTokens) {
  const Tokenizer& t = qwen3();
  EXPECT_EQ(t.eos_token(), "<|im_end|>");
  EXPECT_EQ(t.eos_id(), 151645);
  EXPECT_FALSE(t.bos_id().has_value());  // bos_token is null in tokenizer_config.json
  EXPECT_FALSE(t.add_bos());
  EXPECT_EQ(t.pad_id(), 151643);
  EXPECT_NE(t.chat_template().find("<|im_start|>"), std::string::npos);
  EXPECT_EQ(t.token_to_id("<|im_start|>"), 151644);
  EXPECT_EQ(t.token_to_id("\xC4\xA0"), 220);  // "Ġ", the space byte
  EXPECT_EQ(t.id_to_token(9707), "Hello");
  EXPECT_EQ(t.id_to_token(151668), "</think>");
  EXPECT_EQ(t.id_to_token(-1), "");
  EXPECT_EQ(t.vocab_size(), 151669u);
  EXPECT_TRUE(t.is_special(151645));
  EXPECT_FALSE(t.is_special(151667));  // <think> is an added token but not special
  EXPECT_FALSE(t.is_special(9707));
  // Qwen3 has no post-processor template: add_special_tokens adds nothing.
  EXPECT_EQ(t.encode("Hello", true), std::vector<int32_t>{9707});
}

TEST(Qwen3Tokenizer, SkipSpecialTokens) {
  const std::vector<int32_t> ids = {151644, 872, 198, 9707, 151645, 151667};
  EXPECT_EQ(qwen3().decode(ids), "<|im_start|>user\nHello<|im_end|><think>");
  EXPECT_EQ(qwen3().decode(ids, true), "user\nHello<think>");
}

TEST(Qwen3Tokenizer, UnknownIdsAreSkipped) {
  const std::vector<int32_t> ids = {9707, -5, 151700, 1 << 30, 1879};
  EXPECT_EQ(qwen3().decode(ids), "Hello world");
}

}  // namespace
}  // namespace junction::tokenizer
