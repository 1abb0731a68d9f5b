// The streaming detokenizer on Qwen3 (byte-level): for every case and every prefix of its ids,
// streaming then finish() equals Tokenizer::decode; pieces are always valid UTF-8 and nothing
// is held back once a character is complete.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/tokenizer/test_data.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

using Ids = std::vector<int32_t>;
using testing::data_path;
using testing::read_json;

const Tokenizer& qwen3() {
  static const Tokenizer t = Tokenizer::load(data_path(testing::kQwen3Dir));
  return t;
}

// Streams ids[0, n) and checks every piece; returns the concatenation.
std::string stream(IncrementalDetokenizer& detok, const Ids& ids, size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    const std::string piece = detok.add(ids[i]);
    EXPECT_TRUE(utf8_is_valid(piece));
    text += piece;
  }
  const std::string rest = detok.finish();
  EXPECT_TRUE(utf8_is_valid(rest));
  return text + rest;
}

std::vector<Ids> reference_streams() {
  std::vector<Ids> out;
  // Keep the parsed file alive: a range-for over a member of a temporary would dangle.
  const auto encode_cases = read_json(data_path("tokenizer/qwen3/encode_cases.json"));
  for (const auto& c : encode_cases["cases"]) {
    out.push_back(c["ids"].get<Ids>());
  }
  for (const auto& r : read_json(data_path(std::string(testing::kQwen3Dir) + "/chat_refs.json"))) {
    Ids ids = r["prompt_ids"].get<Ids>();
    const Ids greedy = r["greedy_ids"].get<Ids>();
    ids.insert(ids.end(), greedy.begin(), greedy.end());
    out.push_back(ids);
  }
  return out;
}

TEST(IncrementalDetokenizer, EveryPrefixOfEveryCaseMatchesDecode) {
  for (const Ids& ids : reference_streams()) {
    for (size_t n = 0; n <= ids.size(); ++n) {
      IncrementalDetokenizer detok(qwen3());
      EXPECT_EQ(stream(detok, ids, n), qwen3().decode(std::span<const int32_t>(ids.data(), n)))
          << "prefix " << n << " of " << ids.size();
    }
  }
}

TEST(IncrementalDetokenizer, SkipSpecialTokens) {
  const Ids ids = {151644, 872, 198, 9707, 151645, 151667};
  IncrementalDetokenizer detok(qwen3(), true);
  EXPECT_EQ(stream(detok, ids, ids.size()), qwen3().decode(ids, true));
}

TEST(IncrementalDetokenizer, HoldsSplitCharacterUntilComplete) {
  // "你" is E4 BD A0; each byte is one of the first 256 (single-byte) ids of the vocab.
  const std::string ni = "\xE4\xBD\xA0";
  Ids bytes;
  for (unsigned char b : ni) {
    for (int32_t id = 0; id < 256; ++id) {
      const std::string raw = qwen3().decode_bytes(Ids{id}, false, true);
      if (raw.size() == 1 && static_cast<unsigned char>(raw[0]) == b) bytes.push_back(id);
    }
  }
  ASSERT_EQ(bytes.size(), 3u);
  IncrementalDetokenizer detok(qwen3());
  EXPECT_EQ(detok.add(bytes[0]), "");
  EXPECT_EQ(detok.add(bytes[1]), "");
  EXPECT_EQ(detok.add(bytes[2]), ni);
  EXPECT_EQ(detok.add(bytes[0]), "");
  EXPECT_EQ(detok.finish(), "\uFFFD");  // a truncated character at the end
}

TEST(IncrementalDetokenizer, RandomIdStreamsMatchDecode) {
  // Random ids (special tokens, byte tokens, unknown ids included) exercise invalid UTF-8 at
  // every position and the window trimming.
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> any(-2, 151700);
  std::uniform_int_distribution<int32_t> low(0, 300);  // mostly single bytes
  for (int round = 0; round < 200; ++round) {
    Ids ids(1 + rng() % 40);
    for (int32_t& id : ids) id = (rng() % 3 == 0) ? any(rng) : low(rng);
    IncrementalDetokenizer detok(qwen3(), round % 2 == 1);
    EXPECT_EQ(stream(detok, ids, ids.size()), qwen3().decode(ids, round % 2 == 1));
  }
  // A long run of continuation-like bytes keeps the window bounded and the result exact.
  Ids long_run(5000);
  for (size_t i = 0; i < long_run.size(); ++i) long_run[i] = low(rng);
  IncrementalDetokenizer detok(qwen3());
  EXPECT_EQ(stream(detok, long_run, long_run.size()), qwen3().decode(long_run));
}

TEST(IncrementalDetokenizer, ReusableAfterFinish) {
  IncrementalDetokenizer detok(qwen3());
  const Ids a = qwen3().encode("Hello world");
  const Ids b = qwen3().encode(" second");
  EXPECT_EQ(stream(detok, a, a.size()), "Hello world");
  EXPECT_EQ(stream(detok, b, b.size()), " second");
}

}  // namespace
}  // namespace junction::tokenizer
