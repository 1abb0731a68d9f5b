// tokenizer_from_gguf: the real Qwen3 tokenizer as llama.cpp's converter stores it in GGUF
// (tests/data/gguf/qwen3-*.gguf) must encode every HF reference case exactly, NFC cases
// included; the synthetic qbase vocab (no merges) gives byte tokens; and a small SentencePiece
// vocab written here, whose expected ids are derived by hand from llama.cpp's score-ordered
// merging (derivations next to each case).
#include "tokenizer/gguf_vocab.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "formats/gguf.h"
#include "tests/tokenizer/test_data.h"

namespace junction::tokenizer {
namespace {

using Ids = std::vector<int32_t>;
using testing::data_path;
using testing::read_json;

Tokenizer from_file(const std::string& rel) {
  const auto gguf = GgufFile::open(data_path(rel));
  return tokenizer_from_gguf(*gguf);
}

class RealQwen3Gguf : public ::testing::TestWithParam<const char*> {};

TEST_P(RealQwen3Gguf, EncodesAndDecodesEveryHfCase) {
  const Tokenizer t = from_file(GetParam());
  const auto cases = read_json(data_path("tokenizer/qwen3/encode_cases.json"))["cases"];
  ASSERT_EQ(cases.size(), 99u);
  for (const auto& c : cases) {
    const std::string text = c["text"].get<std::string>();
    const Ids expected = c["ids"].get<Ids>();
    EXPECT_EQ(t.encode(text), expected) << text;
    EXPECT_EQ(t.decode(expected), c["decoded"].get<std::string>()) << text;
  }
}

TEST_P(RealQwen3Gguf, NfcCasesLlamaCppGetsWrong) {
  // The three cases llama.cpp misses (tests/data/gguf/README.md): HF's NFC normalizer composes
  // e + U+0301 and A + U+030A, and maps U+212B (angstrom sign) to U+00C5.
  const Tokenizer t = from_file(GetParam());
  EXPECT_EQ(t.encode("e\xCC\x81"), t.encode("\xC3\xA9"));
  EXPECT_EQ(t.encode("\xE2\x84\xAB"), t.encode("\xC3\x85"));
  EXPECT_EQ(t.encode("A\xCC\x8A vs \xC3\x85"), (Ids{144044, 6165, 79252}));
}

TEST_P(RealQwen3Gguf, SpecialTokensAndConfigMatchTokenizerJson) {
  const Tokenizer t = from_file(GetParam());
  const Tokenizer hf = Tokenizer::load(data_path(testing::kQwen3Dir));
  // The GGUF pads the vocab with 267 [PAD<id>] tokens (UNUSED) up to the embedding rows.
  EXPECT_EQ(t.vocab_size(), 151936u);
  EXPECT_EQ(t.id_to_token(151669), "[PAD151669]");
  for (int32_t id = 0; id < static_cast<int32_t>(hf.vocab_size()); ++id) {
    ASSERT_EQ(t.id_to_token(id), hf.id_to_token(id)) << id;
  }
  EXPECT_EQ(t.encode("<|im_start|>user\nhi<|im_end|>"),
            hf.encode("<|im_start|>user\nhi<|im_end|>"));
  EXPECT_EQ(t.encode("<think>x</think>"), (Ids{151667, 87, 151668}));
  // CONTROL -> special, USER_DEFINED -> not special.
  EXPECT_TRUE(t.is_special(151644));
  EXPECT_TRUE(t.is_special(151645));
  EXPECT_FALSE(t.is_special(151667));
  EXPECT_FALSE(t.is_special(9707));
  EXPECT_EQ(t.decode(Ids{151644, 9707, 151645}, true), "Hello");
  EXPECT_EQ(t.decode(Ids{151667, 9707, 151668}, true), "<think>Hello</think>");
  // Ids from the GGUF: eos 151645 (tokenizer_config), pad and bos 151643 (config.json).
  EXPECT_EQ(t.eos_id(), std::optional<int32_t>(151645));
  EXPECT_EQ(t.pad_id(), std::optional<int32_t>(151643));
  EXPECT_EQ(t.bos_id(), std::optional<int32_t>(151643));
  EXPECT_FALSE(t.add_bos());
  EXPECT_EQ(t.encode("Hello", true), (Ids{9707}));
  const auto config =
      read_json(data_path(std::string(testing::kQwen3Dir) + "/tokenizer_config.json"));
  EXPECT_EQ(t.chat_template(), config["chat_template"].get<std::string>());
  EXPECT_FALSE(t.chat_template().empty());
}

INSTANTIATE_TEST_SUITE_P(Files, RealQwen3Gguf,
                         ::testing::Values("gguf/qwen3-vocab-only.gguf",
                                           "gguf/qwen3-e2e-BF16.gguf"));

// GPT-2's bytes_to_unicode order, which ids 0-255 of the qbase vocab follow: the printable
// bytes 33-126, 161-172, 174-255 first, then the rest in byte order (README: '!' = 0,
// 'Ċ' = 198, 'Ġ' = 220).
int32_t gpt2_byte_id(unsigned char b) {
  auto printable = [](int x) {
    return (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174;
  };
  int32_t id = 0;
  if (printable(b)) {
    for (int x = 0; x < b; ++x) id += printable(x);
    return id;
  }
  id = 188;
  for (int x = 0; x < b; ++x) id += !printable(x);
  return id;
}

TEST(QbaseGguf, EmptyMergesGiveByteTokens) {
  ASSERT_EQ(gpt2_byte_id('!'), 0);
  ASSERT_EQ(gpt2_byte_id('\n'), 198);
  ASSERT_EQ(gpt2_byte_id(' '), 220);
  const Tokenizer t = from_file("gguf/qwen3-qbase-Q8_0.gguf");
  for (const std::string text :
       {"Hello, world!\n", "  x y\t", "caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD"}) {
    Ids expected;
    for (const unsigned char b : text) expected.push_back(gpt2_byte_id(b));
    EXPECT_EQ(t.encode(text), expected) << text;
    EXPECT_EQ(t.decode(expected), text);
  }
  EXPECT_EQ(t.encode("a<|endoftext|>b"), (Ids{gpt2_byte_id('a'), 4095, gpt2_byte_id('b')}));
  EXPECT_EQ(t.decode(Ids{256, 4094}), "tok0256tok4094");
  EXPECT_EQ(t.eos_id(), std::optional<int32_t>(4095));
  EXPECT_TRUE(t.is_special(4095));
  EXPECT_EQ(t.vocab_size(), 4096u);
}

// A minimal GGUF v3 writer (metadata only) for hand-made vocabularies.
class GgufWriter {
 public:
  void string(const std::string& key, const std::string& value) {
    begin(key, 8);
    put_string(value);
  }
  void u32(const std::string& key, uint32_t value) {
    begin(key, 4);
    put(value);
  }
  void boolean(const std::string& key, bool value) {
    begin(key, 7);
    put(static_cast<uint8_t>(value));
  }
  void strings(const std::string& key, const std::vector<std::string>& values) {
    begin_array(key, 8, values.size());
    for (const auto& v : values) put_string(v);
  }
  void floats(const std::string& key, const std::vector<float>& values) {
    begin_array(key, 6, values.size());
    for (const float v : values) put(v);
  }
  void ints(const std::string& key, const std::vector<int32_t>& values) {
    begin_array(key, 5, values.size());
    for (const int32_t v : values) put(v);
  }
  std::unique_ptr<GgufFile> parse() {
    header_.clear();
    std::swap(body_, header_);
    put(uint32_t{0x46554747});
    put(uint32_t{3});
    put(uint64_t{0});
    put(n_kv_);
    std::swap(body_, header_);
    image_ = header_ + body_;
    return GgufFile::parse(reinterpret_cast<const std::byte*>(image_.data()), image_.size(),
                           "test");
  }

 private:
  template <typename T>
  void put(T v) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    body_.append(bytes, sizeof(T));
  }
  void put_string(const std::string& s) {
    put(static_cast<uint64_t>(s.size()));
    body_ += s;
  }
  void begin(const std::string& key, uint32_t type) {
    ++n_kv_;
    put_string(key);
    put(type);
  }
  void begin_array(const std::string& key, uint32_t element, size_t n) {
    begin(key, 9);
    put(element);
    put(static_cast<uint64_t>(n));
  }
  std::string header_, body_, image_;
  uint64_t n_kv_ = 0;
};

// SentencePiece vocab: 0 <unk> (UNKNOWN), 1 <s>, 2 </s> (CONTROL), 3 + b = <0xb> (BYTE), then
// NORMAL pieces with scores.
// Pieces (ids from 259): ▁ -1, a -2, b -3, c -4, ab -5, bc -1.5, ▁a -6, abc -7, aa -2.
constexpr int32_t kSp = 259, kA = 260, kBc = 264, kSpA = 265, kAa = 267;
constexpr int32_t byte_id(int b) {
  return 3 + b;
}

void write_spm(GgufWriter& w, bool with_bytes = true) {
  std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types{2, 3, 3};
  std::vector<float> scores{0, 0, 0};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tokens.push_back(with_bytes ? name : "[unused" + std::to_string(b) + "]");
    types.push_back(with_bytes ? 6 : 5);
    scores.push_back(0);
  }
  const std::vector<std::pair<std::string, float>> pieces{{"\xE2\x96\x81", -1.0f},
                                                          {"a", -2.0f},
                                                          {"b", -3.0f},
                                                          {"c", -4.0f},
                                                          {"ab", -5.0f},
                                                          {"bc", -1.5f},
                                                          {"\xE2\x96\x81"
                                                           "a",
                                                           -6.0f},
                                                          {"abc", -7.0f},
                                                          {"aa", -2.0f}};
  for (const auto& [piece, score] : pieces) {
    tokens.push_back(piece);
    types.push_back(1);
    scores.push_back(score);
  }
  w.string("tokenizer.ggml.model", "llama");
  w.strings("tokenizer.ggml.tokens", tokens);
  w.floats("tokenizer.ggml.scores", scores);
  w.ints("tokenizer.ggml.token_type", types);
  w.u32("tokenizer.ggml.bos_token_id", 1);
  w.u32("tokenizer.ggml.eos_token_id", 2);
  w.u32("tokenizer.ggml.unknown_token_id", 0);
}

Tokenizer spm(bool with_bytes = true) {
  GgufWriter w;
  write_spm(w, with_bytes);
  return tokenizer_from_gguf(*w.parse());
}

TEST(SentencePieceGguf, HighestScoreMergesFirst) {
  // "abc" -> "▁abc" -> ▁ a b c. Pairs in the vocab: ▁a -6, ab -5, bc -1.5: bc first (a
  // left-to-right or ab-first merge would differ). Then ▁a -6 vs a+bc = abc -7: ▁a. "▁abc" is
  // not a piece, so [▁a, bc].
  const Tokenizer t = spm();
  EXPECT_EQ(t.encode("abc"), (Ids{kSpA, kBc}));
  // Decoder: ▁ -> " ", fuse, strip the one leading space.
  EXPECT_EQ(t.decode(Ids{kSpA, kBc}), "abc");
  // "bca" -> ▁ b c a: bc -1.5, then ▁bc / bca are no pieces: [▁, bc, a].
  EXPECT_EQ(t.encode("bca"), (Ids{kSp, kBc, kA}));
}

TEST(SentencePieceGguf, EqualScoresMergeLeftmostFirst) {
  // "aaa" -> ▁ a a a: (a,a) at 1 and 2 both score -2 (▁a is -6): the leftmost merges, leaving
  // ▁ aa a; ▁aa and aaa are no pieces.
  EXPECT_EQ(spm().encode("aaa"), (Ids{kSp, kAa, kA}));
}

TEST(SentencePieceGguf, ByteFallbackSpacesAndSpecialTokens) {
  const Tokenizer t = spm();
  // "a é" -> "▁a▁é": ▁a merges; é is no piece -> its bytes C3 A9.
  const Ids ids{kSpA, kSp, byte_id(0xC3), byte_id(0xA9)};
  EXPECT_EQ(t.encode("a \xC3\xA9"), ids);
  EXPECT_EQ(t.decode(ids), "a \xC3\xA9");
  // Control tokens are cut out first; the text after one gets its own ▁ prefix, as llama.cpp
  // does after every special token.
  EXPECT_EQ(t.encode("<s>a</s>"), (Ids{1, kSpA, 2}));
  EXPECT_EQ(t.decode(Ids{1, kSpA, 2}, true), "a");
  // SentencePiece models add BOS by default.
  EXPECT_TRUE(t.add_bos());
  EXPECT_EQ(t.encode("a", true), (Ids{1, kSpA}));
  EXPECT_TRUE(t.is_byte_fallback_token(byte_id(0xC3)));
}

TEST(SentencePieceGguf, UnknownWithoutByteTokens) {
  // No <0xXX> pieces: é becomes <unk>.
  EXPECT_EQ(spm(false).encode("a\xC3\xA9"), (Ids{kSpA, 0}));
}

TEST(SentencePieceGguf, NoSpacePrefix) {
  GgufWriter w;
  write_spm(w);
  w.boolean("tokenizer.ggml.add_space_prefix", false);
  // "a bc" -> "a▁bc": a ▁ b c -> bc first, ▁bc no piece: [a, ▁, bc].
  const Tokenizer t = tokenizer_from_gguf(*w.parse());
  EXPECT_EQ(t.encode("a bc"), (Ids{kA, kSp, kBc}));
  // No space was prepended, so a leading one is the text's own and decoding keeps it (llama.cpp's
  // detokenize strips one only with add_space_prefix; Gemma's sentencepiece decodes so too).
  EXPECT_EQ(t.encode(" a"), (Ids{kSpA}));
  EXPECT_EQ(t.decode(Ids{kSpA}), " a");
}

void expect_error_naming(GgufWriter& w, const std::string& key) {
  const auto gguf = w.parse();
  try {
    tokenizer_from_gguf(*gguf);
    ADD_FAILURE() << "no error for " << key;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(GgufVocabErrors, NameTheKey) {
  {
    GgufWriter w;
    w.string("tokenizer.ggml.model", "bert");
    w.strings("tokenizer.ggml.tokens", {"a"});
    expect_error_naming(w, "tokenizer.ggml.model");
  }
  {
    GgufWriter w;
    w.strings("tokenizer.ggml.tokens", {"a"});
    expect_error_naming(w, "tokenizer.ggml.model");
  }
  {
    GgufWriter w;
    w.string("tokenizer.ggml.model", "gpt2");
    w.string("tokenizer.ggml.pre", "deepseek-llm");
    w.strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
    w.strings("tokenizer.ggml.merges", {"a b"});
    expect_error_naming(w, "tokenizer.ggml.pre");
  }
  {
    GgufWriter w;
    w.string("tokenizer.ggml.model", "gpt2");
    w.strings("tokenizer.ggml.tokens", {"a", "b"});
    w.strings("tokenizer.ggml.merges", {"a b"});
    expect_error_naming(w, "tokenizer.ggml.merges");
  }
  {
    GgufWriter w;
    w.string("tokenizer.ggml.model", "gpt2");
    w.strings("tokenizer.ggml.tokens", {"a", "b"});
    expect_error_naming(w, "tokenizer.ggml.merges");
  }
  {
    GgufWriter w;
    w.string("tokenizer.ggml.model", "llama");
    w.strings("tokenizer.ggml.tokens", {"a", "b"});
    expect_error_naming(w, "tokenizer.ggml.scores");
  }
}

TEST(GgufVocab, Llama3PreTokenizerSplitsDigitsInThrees) {
  // A byte-level vocab of the ASCII digits and "12"/"123" with pre = llama-bpe: \p{N}{1,3}
  // cuts "12345" into "123" "45"; ignore_merges then takes "123" whole.
  GgufWriter w;
  w.string("tokenizer.ggml.model", "gpt2");
  w.string("tokenizer.ggml.pre", "llama-bpe");
  std::vector<std::string> tokens;
  for (char c = '0'; c <= '9'; ++c) tokens.emplace_back(1, c);
  tokens.push_back("45");   // 10
  tokens.push_back("123");  // 11
  tokens.push_back("12");   // 12
  w.strings("tokenizer.ggml.tokens", tokens);
  w.strings("tokenizer.ggml.merges", {"4 5"});
  const Tokenizer t = tokenizer_from_gguf(*w.parse());
  EXPECT_EQ(t.encode("12345"), (Ids{11, 10}));
  EXPECT_TRUE(t.add_bos());  // llama.cpp's default for llama3-style vocabs
  EXPECT_EQ(t.decode(Ids{11, 10}), "12345");
}

}  // namespace
}  // namespace junction::tokenizer
