#include "quantize/sentencepiece_model.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace junction {

std::vector<SentencePiece> parse_sentencepiece_model(std::string_view bytes,
                                                     const std::string& where) {
  sentencepiece::SentencePieceProcessor processor;
  // The library parses the protobuf, validates the model (its Init) and reports failures as a
  // status; nothing here reaches its normalizer, so the precompiled character map of a hostile
  // file is never walked.
  sentencepiece::util::Status status;
  try {
    status = processor.LoadFromSerializedProto(bytes);
  } catch (const std::exception& e) {
    // The library's trie builder (darts-clone) throws instead of returning a status, e.g. for
    // an empty piece in a unigram model (found by fuzz/sentencepiece_fuzz.cc).
    throw Error(where + " is not a SentencePiece model (tokenizer.model): " + e.what());
  }
  if (!status.ok())
    throw Error(where + " is not a SentencePiece model (tokenizer.model): " + status.ToString());
  const int n = processor.GetPieceSize();
  std::vector<SentencePiece> pieces;
  pieces.reserve(static_cast<size_t>(std::max(n, 0)));
  for (int id = 0; id < n; ++id) {
    SentencePiece p;
    p.piece = processor.IdToPiece(id);
    p.score = processor.GetScore(id);
    // The converter's order of tests (convert_hf_to_gguf.py, _create_vocab_sentencepiece).
    if (processor.IsUnknown(id))
      p.type = SentencePiece::Type::kUnknown;
    else if (processor.IsControl(id))
      p.type = SentencePiece::Type::kControl;
    else if (processor.IsUnused(id))
      p.type = SentencePiece::Type::kUnused;
    else if (processor.IsByte(id))
      p.type = SentencePiece::Type::kByte;
    pieces.push_back(std::move(p));
  }
  return pieces;
}

std::vector<SentencePiece> read_sentencepiece_model(const std::string& path) {
  constexpr uintmax_t kMaxBytes = uintmax_t{64} << 20;
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw Error("cannot read " + path + ": " + ec.message());
  if (size > kMaxBytes)
    throw Error(path + " is " + std::to_string(size) +
                " bytes; a SentencePiece model (tokenizer.model) is at most 64 MiB here");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_sentencepiece_model(text.str(), path);
}

}  // namespace junction
