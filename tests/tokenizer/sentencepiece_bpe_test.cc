// SentencePiece-derived BPE (byte_fallback, Metaspace, unk, ignore_merges) on the hand-made
// tests/data/tokenizer/sp-bpe/tokenizer.json. No real such tokenizer is in the fixtures, so
// every expected value below is derived by hand from the HF algorithm definitions (see the
// README there); the derivation is in the comment next to each case.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/tokenizer/test_data.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace junction::tokenizer {
namespace {

using Ids = std::vector<int32_t>;
using testing::data_path;
using testing::read_json;

// Vocab ids of the file: 0 <unk>, 1 <s>, 2 </s>, 3 + b for <0xb>, then:
constexpr int32_t kSpace = 259, kH = 260, kE = 261, kL = 262, kO = 263, kEll = 269, kSpH = 268,
                  kSpHello = 272, kWo = 273, kRld = 277, kNi = 279, kHel = 280;
constexpr int32_t byte_id(int b) {
  return 3 + b;
}

const std::string kDir = "tokenizer/sp-bpe";

Tokenizer legacy() {
  return Tokenizer::load(data_path(kDir));
}

// The layout tokenizers >= 0.19 writes for Llama/Mistral: no normalizer, Metaspace
// pre-tokenizer with prepend_scheme "first", Metaspace decoder.
Tokenizer metaspace(bool byte_fallback = true, bool fuse_unk = true, bool ignore_merges = false) {
  auto j = read_json(data_path(kDir + "/tokenizer.json"));
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Metaspace"},
                        {"replacement", "\xE2\x96\x81"},
                        {"prepend_scheme", "first"},
                        {"split", false}};
  j["decoder"] = {
      {"type", "Sequence"},
      {"decoders",
       {{{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}},
        {{"type", "ByteFallback"}},
        {{"type", "Fuse"}}}}};
  j["model"]["byte_fallback"] = byte_fallback;
  j["model"]["fuse_unk"] = fuse_unk;
  j["model"]["ignore_merges"] = ignore_merges;
  return Tokenizer::from_json(j.dump());
}

TEST(SentencePieceBpe, RankOrderDecides) {
  // "▁hello▁world" -> ▁ h e l l o ▁ w o r l d. Ranks: (l,l)0 -> (▁,h)1 -> (e,ll)2 ->
  // (▁h,ell)3 -> (▁hell,o)5 -> (w,o)6 -> (r,l)7; then (▁,w)8 is stale because w merged into
  // "wo" at rank 6, and (▁,wo) has no merge; (rl,d)10. Result ▁hello ▁ wo rld.
  EXPECT_EQ(legacy().encode("hello world"), (Ids{kSpHello, kSpace, kWo, kRld}));
  // Template "<s> $A".
  EXPECT_EQ(legacy().encode("hello world", true), (Ids{1, kSpHello, kSpace, kWo, kRld}));
  // Decoder: Replace ▁->" " gives " hello"," ","wo","rld"; Fuse; Strip one leading space.
  EXPECT_EQ(legacy().decode(Ids{kSpHello, kSpace, kWo, kRld}), "hello world");
}

TEST(SentencePieceBpe, LeadingSpaceAndPrependPerSegment) {
  // " hello" -> Prepend "▁ hello" -> Replace "▁▁hello"; (▁,▁) has no merge, the second ▁
  // merges with "hello" as above.
  EXPECT_EQ(legacy().encode(" hello"), (Ids{kSpace, kSpHello}));
  EXPECT_EQ(legacy().decode(Ids{kSpace, kSpHello}), " hello");
  // Legacy normalizers run on each stretch between added tokens, so both get a "▁".
  EXPECT_EQ(legacy().encode("hello<s>hello"), (Ids{kSpHello, 1, kSpHello}));
  // " hello" "<s>" " hello" fused, first space stripped.
  EXPECT_EQ(legacy().decode(Ids{kSpHello, 1, kSpHello}), "hello<s> hello");
  EXPECT_EQ(legacy().decode(Ids{kSpHello, 1, kSpHello}, true), "hello hello");
}

TEST(SentencePieceBpe, ByteFallback) {
  // "▁你好": 你 is in the vocab, 好 (E5 A5 BD) is not -> three byte tokens; no merges apply.
  const Ids ids{kSpace, kNi, byte_id(0xE5), byte_id(0xA5), byte_id(0xBD)};
  EXPECT_EQ(legacy().encode("你好"), ids);
  EXPECT_EQ(legacy().decode(ids), "你好");
  // "▁h\tw": (▁,h) merges; tab is <0x09>; w stays.
  EXPECT_EQ(legacy().encode("h\tw"), (Ids{kSpH, byte_id(0x09), 264}));
  EXPECT_EQ(legacy().decode(Ids{kSpH, byte_id(0x09), 264}), "h\tw");
}

TEST(SentencePieceBpe, InvalidByteRunIsOneReplacementPerByte) {
  // HF ByteFallback: a run that is not valid UTF-8 becomes one U+FFFD per byte (E5 A5 is a
  // truncated character: Python's errors='replace' would give one U+FFFD, HF gives two).
  EXPECT_EQ(legacy().decode(Ids{byte_id(0xE5), byte_id(0xA5), kH}), "\uFFFD\uFFFDh");
}

TEST(SentencePieceBpe, ConfigFile) {
  const Tokenizer t = legacy();
  EXPECT_EQ(t.bos_token(), "<s>");  // given as an AddedToken object
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
  EXPECT_TRUE(t.add_bos());
  EXPECT_EQ(t.chat_template().substr(0, 15), "{{ bos_token }}");
  EXPECT_EQ(t.vocab_size(), 281u);
}

TEST(SentencePieceBpe, MetaspacePrependFirst) {
  // Pre-tokenizer: the first segment (offset 0) gets "▁"; the one after <s> does not.
  // "hello" alone: h e l l o -> (l,l)0 -> (e,ll)2; (h,ell) and (ell,o) have no merge.
  EXPECT_EQ(metaspace().encode("hello<s>hello"), (Ids{kSpHello, 1, kH, kEll, kO}));
  // Metaspace decoder drops the ▁ of the first token only.
  EXPECT_EQ(metaspace().decode(Ids{kSpHello, 1, kH, kEll, kO}), "hello<s>hello");
  // Same word as the legacy layout: spaces become ▁ and "first" prepends one.
  EXPECT_EQ(metaspace().encode("hello world"), (Ids{kSpHello, kSpace, kWo, kRld}));
  EXPECT_EQ(metaspace().decode(Ids{kSpHello, kSpace, kWo, kRld}), "hello world");
  // HF's Metaspace decoder drops every ▁ of the first token: "▁" then " hello".
  EXPECT_EQ(metaspace().decode(Ids{kSpace, kSpHello}), " hello");
}

TEST(SentencePieceBpe, UnknownWithoutByteFallback) {
  // "▁hello▁好好": 好 is unknown and there is no byte fallback -> <unk>, fused into one.
  EXPECT_EQ(metaspace(false).encode("hello 好好"), (Ids{kSpHello, kSpace, 0}));
  EXPECT_EQ(metaspace(false, false).encode("hello 好好"), (Ids{kSpHello, kSpace, 0, 0}));
}

TEST(SentencePieceBpe, IgnoreMerges) {
  // "hel" after <s> (no ▁ prepended): merges give h e l (no merge for (h,e) or (e,l)); with
  // ignore_merges the whole word is looked up first and "hel" is in the vocab.
  EXPECT_EQ(metaspace().encode("<s>hel"), (Ids{1, kH, kE, kL}));
  EXPECT_EQ(metaspace(true, true, true).encode("<s>hel"), (Ids{1, kHel}));
}

TEST(SentencePieceBpe, StreamingMatchesDecodeAtEveryPrefix) {
  const Ids streams[] = {
      {kSpHello, kSpace, kWo, kRld},
      {kSpace, kSpHello, 1, kSpHello},
      {kSpace, kNi, byte_id(0xE5), byte_id(0xA5), byte_id(0xBD), kH},
      {byte_id(0xE5), byte_id(0xA5), kH, byte_id(0xE5)},
      // Unknown ids are dropped by decode, so the byte run continues across them.
      {byte_id(0x28), 9999, byte_id(0xC2), -1, byte_id(0xCE), 9999},
  };
  const Tokenizer tokenizers[] = {legacy(), metaspace()};
  for (const Tokenizer& t : tokenizers) {
    for (const Ids& ids : streams) {
      for (size_t n = 0; n <= ids.size(); ++n) {
        IncrementalDetokenizer detok(t);
        std::string text;
        for (size_t i = 0; i < n; ++i) text += detok.add(ids[i]);
        text += detok.finish();
        EXPECT_EQ(text, t.decode(std::span<const int32_t>(ids.data(), n))) << "prefix " << n;
      }
    }
  }
}

}  // namespace
}  // namespace junction::tokenizer
