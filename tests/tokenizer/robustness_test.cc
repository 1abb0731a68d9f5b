// Hostile input: invalid UTF-8, NUL bytes, megabyte-long words, special-token look-alikes,
// malformed tokenizer files and concurrent callers. Nothing may crash; text that is valid
// UTF-8 must round-trip exactly, invalid input round-trips as its Python errors='replace' form.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "tests/tokenizer/test_data.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

using Ids = std::vector<int32_t>;
using testing::data_path;

const Tokenizer& qwen3() {
  static const Tokenizer t = Tokenizer::load(data_path(testing::kQwen3Dir));
  return t;
}

const Tokenizer& sp() {
  static const Tokenizer t = Tokenizer::load(data_path("tokenizer/sp-bpe"));
  return t;
}

TEST(TokenizerRobustness, InvalidUtf8IsReplacedLikePython) {
  const std::string bad = "ok\xFF\xE4\xBD x\xC0\xAF\xED\xA0\x80 end\xF0\x9F";
  const Ids ids = qwen3().encode(bad);
  EXPECT_FALSE(ids.empty());
  EXPECT_EQ(qwen3().decode(ids), utf8_sanitize(bad));
  EXPECT_EQ(ids, qwen3().encode(utf8_sanitize(bad)));
  EXPECT_EQ(sp().decode(sp().encode(bad)), utf8_sanitize(bad));
}

TEST(TokenizerRobustness, NulBytes) {
  const std::string text("a\0b\0\0<|im_end|>\0", 16);
  const Ids ids = qwen3().encode(text);
  EXPECT_EQ(qwen3().decode(ids), text);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 151645), 1);
  EXPECT_EQ(sp().decode(sp().encode(text)), text);
}

TEST(TokenizerRobustness, MegabyteWords) {
  // One pre-tokenized word of 1 MB for each of: repeated letter, mixed letters, CJK (3-byte
  // characters), digits-free punctuation, and spaces. Must finish quickly (no quadratic merge).
  const std::vector<std::string> words = {
      std::string(1 << 20, 'a'),
      [] {
        std::string s;
        std::mt19937 rng(7);
        while (s.size() < (1 << 20)) s.push_back(static_cast<char>('a' + rng() % 26));
        return s;
      }(),
      [] {
        std::string s;
        while (s.size() < (1 << 20)) s += "\xE4\xBD\xA0";
        return s;
      }(),
      std::string(1 << 20, '!'),
      std::string(1 << 20, ' '),
  };
  for (const std::string& w : words) {
    const auto start = std::chrono::steady_clock::now();
    const Ids ids = qwen3().encode(w);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(s, 10.0);
    EXPECT_FALSE(ids.empty());
    // EXPECT_TRUE: a failure message must not print a megabyte.
    EXPECT_TRUE(qwen3().decode(ids) == w);
    const std::string head = utf8_sanitize(w.substr(0, 1 << 16));  // may cut a character
    EXPECT_TRUE(sp().decode(sp().encode(head)) == head);
  }
}

TEST(TokenizerRobustness, SpecialTokenLookAlikes) {
  std::string text;
  const char* parts[] = {
      "<|im_start|", "<|im_start|>", "<|im_end",       "<||>",         "<",       "|", ">",
      "<think",      "</think>",     "<|endoftext|>x", "<<|im_end|>>", "<|im_sta"};
  std::mt19937 rng(3);
  for (int i = 0; i < 5000; ++i) text += parts[rng() % std::size(parts)];
  const Ids ids = qwen3().encode(text);
  EXPECT_TRUE(qwen3().decode(ids) == text);
  // Real special tokens are matched wherever they appear, look-alikes never are.
  const Ids nested = qwen3().encode("<<|im_end|>>");
  EXPECT_EQ(std::count(nested.begin(), nested.end(), 151645), 1);
  EXPECT_EQ(qwen3().decode(nested), "<<|im_end|>>");
  const Ids partial = qwen3().encode("<|im_start|<|im_sta|im_start|>");
  for (int32_t id : partial) EXPECT_LT(id, 151643);
  EXPECT_EQ(qwen3().decode(partial), "<|im_start|<|im_sta|im_start|>");
}

TEST(TokenizerRobustness, RandomBytesNeverCrash) {
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    std::string s(rng() % 200, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    // Qwen3 normalizes to NFC, so decode gives NFC(sanitized input); encoding that again must
    // give the same ids (NFC is idempotent). The SentencePiece-style file has no NFC: exact.
    const Ids ids = qwen3().encode(s);
    const std::string text = qwen3().decode(ids);
    EXPECT_TRUE(utf8_is_valid(text));
    EXPECT_EQ(qwen3().encode(text), ids);
    EXPECT_EQ(sp().decode(sp().encode(s)), utf8_sanitize(s));
  }
}

TEST(TokenizerRobustness, ConcurrentEncodeSharesTheCache) {
  const std::string text =
      "The quick brown fox jumps over the lazy dog. 你好，世界！ 🚀 x = f(y);\n";
  const Ids expected = qwen3().encode(text);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        // Different words per thread churn the cache while others read it.
        const std::string extra = " word" + std::to_string(t * 1000 + i);
        ok[t] += qwen3().encode(text) == expected;
        ok[t] += qwen3().decode(qwen3().encode(extra)) == extra;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 600);
}

TEST(TokenizerRobustness, MalformedFilesThrowJunctionError) {
  EXPECT_THROW(Tokenizer::load("/nonexistent/dir"), Error);
  EXPECT_THROW(Tokenizer::from_json("{"), Error);
  EXPECT_THROW(Tokenizer::from_json("[]"), Error);
  EXPECT_THROW(Tokenizer::from_json(R"({"model": {"type": "Unigram", "vocab": []}})"), Error);
  EXPECT_THROW(Tokenizer::from_json(R"({"model": {"type": "BPE", "vocab": {"a": 0},
      "merges": ["a b"]}})"),
               Error);
  EXPECT_THROW(Tokenizer::from_json(R"({"model": {"type": "BPE", "vocab": {"a": -1},
      "merges": []}})"),
               Error);
  EXPECT_THROW(Tokenizer::from_json(R"({"pre_tokenizer": {"type": "Split",
      "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"},
      "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})"),
               Error);
  try {
    Tokenizer::from_json(R"({"normalizer": {"type": "Precompiled"},
        "model": {"type": "BPE", "vocab": {}, "merges": []}})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("normalizer"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Precompiled"), std::string::npos);
  }
}

}  // namespace
}  // namespace junction::tokenizer
