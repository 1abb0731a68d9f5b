// read_sentencepiece_model against spm_train's own listing of the pieces it trained
// (tests/data/tokenizer/spm/*.vocab, see the README there), and against hostile files: every
// truncation and a sweep of corrupted bytes of a real model either load or throw junction::Error.
#include "quantize/sentencepiece_model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace junction {
namespace {

const std::string kSpm = std::string(JUNCTION_TEST_DATA) + "/tokenizer/spm/";

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// spm_train's .vocab: "piece<TAB>score" per id.
std::vector<std::pair<std::string, float>> read_vocab(const std::string& path) {
  std::vector<std::pair<std::string, float>> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.rfind('\t');
    out.emplace_back(line.substr(0, tab), std::stof(line.substr(tab + 1)));
  }
  return out;
}

TEST(SentencePieceModel, PiecesAndScoresAreSpmTrainsListing) {
  for (const char* name : {"llama-spm", "gemma-spm"}) {
    const auto pieces = read_sentencepiece_model(kSpm + name + ".model");
    const auto vocab = read_vocab(kSpm + name + ".vocab");
    ASSERT_EQ(pieces.size(), 600u) << name;
    ASSERT_EQ(vocab.size(), 600u) << name;
    for (size_t i = 0; i < pieces.size(); ++i) {
      EXPECT_EQ(pieces[i].piece, vocab[i].first) << name << " " << i;
      EXPECT_EQ(pieces[i].score, vocab[i].second) << name << " " << i;
    }
  }
}

TEST(SentencePieceModel, TypesAreTheConvertersClassification) {
  using Type = SentencePiece::Type;
  const auto llama = read_sentencepiece_model(kSpm + "llama-spm.model");
  EXPECT_EQ(llama[0].type, Type::kUnknown);  // <unk>
  EXPECT_EQ(llama[1].type, Type::kControl);  // <s>
  EXPECT_EQ(llama[2].type, Type::kControl);  // </s>
  EXPECT_EQ(llama[3].piece, "<0x00>");
  for (size_t i = 3; i < 259; ++i) EXPECT_EQ(llama[i].type, Type::kByte) << i;
  for (size_t i = 259; i < 600; ++i) EXPECT_EQ(llama[i].type, Type::kNormal) << i;

  const auto gemma = read_sentencepiece_model(kSpm + "gemma-spm.model");
  EXPECT_EQ(gemma[0].type, Type::kControl);  // <pad>
  EXPECT_EQ(gemma[1].type, Type::kControl);  // </s>
  EXPECT_EQ(gemma[2].type, Type::kControl);  // <s>
  EXPECT_EQ(gemma[3].type, Type::kUnknown);  // <unk>
  // User-defined symbols: the converter has no test for them, so they stay NORMAL.
  EXPECT_EQ(gemma[4].piece, "<start_of_turn>");
  EXPECT_EQ(gemma[4].type, Type::kNormal);
  EXPECT_EQ(gemma[5].type, Type::kNormal);
  EXPECT_EQ(gemma[6].type, Type::kByte);
}

TEST(SentencePieceModel, NotAModelIsAClearError) {
  for (const std::string& bytes :
       {std::string(), std::string("not a protobuf"), std::string("\x0a\xff\xff\xff\xff\x0f", 6),
        read_bytes(std::string(JUNCTION_TEST_DATA) + "/tokenizer/qwen3/encode_cases.json")}) {
    try {
      parse_sentencepiece_model(bytes, "x/tokenizer.model");
      ADD_FAILURE() << "loaded " << bytes.size() << " bytes";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("x/tokenizer.model"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(read_sentencepiece_model(kSpm + "missing.model"), Error);
}

// A unigram model whose pieces include an empty one, from fuzz/sentencepiece_fuzz.cc: the
// library's trie builder throws its own exception type from inside the load (it ended the
// process before parse_sentencepiece_model caught it).
TEST(SentencePieceModel, EmptyPieceFoundByTheFuzzerIsAClearError) {
  const std::string bytes(
      "\x0a\x0e\x0a\x05\x3c\x75\x6e\x6b\x3e\x15\x00\x00\x00\x00\x18\x02\x0a\x0c\x0a\x03\x00\x3c"
      "\x73\x15\x3e\x00\x00\x30\x30\x30\x30\x30\x30\x30\x0a\x0d\x0a\x04\x3c\x2f\x73\x3e\x15\x00"
      "\x6f\x75\x34\x30\x03\x0a\x0f\x0a\x06\x3c\x0a\x06\x34\x30\x78\x30\x06\x15\x00\x00\x3c\x00",
      66);
  EXPECT_THROW(parse_sentencepiece_model(bytes, "fuzz"), Error);
}

// Every prefix of a real model and every byte of it set to 0x00 / 0xff, or XOR-ed with 0x80: a
// result or junction::Error, never a crash.
TEST(SentencePieceModel, DamagedFilesLoadOrThrow) {
  const std::string model = read_bytes(kSpm + "llama-spm.model");
  size_t loaded = 0, refused = 0;
  auto attempt = [&](const std::string& bytes) {
    try {
      parse_sentencepiece_model(bytes, "damaged");
      ++loaded;
    } catch (const Error&) {
      ++refused;
    }
  };
  for (size_t n = 0; n < model.size(); n += 7) attempt(model.substr(0, n));
  for (size_t i = 0; i < model.size(); i += 3) {
    for (const int op : {0, 1, 2}) {
      std::string bytes = model;
      bytes[i] = op == 0 ? '\0' : op == 1 ? '\xff' : static_cast<char>(bytes[i] ^ 0x80);
      attempt(bytes);
    }
  }
  EXPECT_GT(refused, 0u);
  EXPECT_GT(loaded, 0u);
}

}  // namespace
}  // namespace junction
