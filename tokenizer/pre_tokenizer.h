// Pre-tokenizers from HF tokenizer.json ("pre_tokenizer" field): Split (PCRE2 regex or literal,
// all five delimiter behaviours, invert), ByteLevel (with the GPT-2 regex when use_regex),
// Metaspace (SentencePiece style, prepend_scheme), Digits, Whitespace, WhitespaceSplit and
// Sequence. They cut normalized text into words that BPE encodes independently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace junction::tokenizer {

struct Piece {
  std::string text;
  // The piece starts at offset 0 of the caller's input (Metaspace prepend_scheme "first").
  bool at_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces every piece by its sub-pieces; empty pieces are dropped, as HF does.
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

// Builds the pre-tokenizer described by `json`; null json -> nullptr. Unknown types throw
// junction::Error naming `where` and the type.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& json,
                                                 const std::string& where);

}  // namespace junction::tokenizer
