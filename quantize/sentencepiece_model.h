// The pieces of a SentencePiece model file (tokenizer.model, the ModelProto protobuf that Llama 2,
// Mistral, Gemma and Phi-3 folders ship beside tokenizer.json): each piece's text, score and
// type, read through Debian's libsentencepiece as llama.cpp's converter reads them through the
// Python binding. Only what a GGUF "llama" vocabulary records; the trainer and normalizer specs
// are not exposed (the GGUF has no key for them).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace junction {

struct SentencePiece {
  // As the converter classifies them: a user-defined piece is kNormal (SentencePiece's
  // processor API, which the converter uses, has no test for it).
  enum class Type { kNormal, kUnknown, kControl, kUnused, kByte };
  std::string piece;  // the text, ▁ for a space; <0xAB> for byte pieces
  float score = 0;
  Type type = Type::kNormal;
};

// Throws junction::Error naming `where` for anything that is not a loadable model (bad protobuf,
// duplicate or empty pieces, no unknown piece, ...): the library's own validation.
std::vector<SentencePiece> parse_sentencepiece_model(std::string_view bytes,
                                                     const std::string& where);

// The file at `path`, at most 64 MiB (real ones are under 5 MiB).
std::vector<SentencePiece> read_sentencepiece_model(const std::string& path);

}  // namespace junction
