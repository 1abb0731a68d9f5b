// Decoders from HF tokenizer.json ("decoder" field): ByteLevel, Metaspace, ByteFallback, Fuse,
// Strip, Replace and Sequence. They turn token strings back into text. Tokens are byte strings
// here: ByteLevel yields raw bytes that may be invalid UTF-8 and the caller makes the joined
// result valid at the very end (which equals HF's from_utf8_lossy inside ByteLevel).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace junction::tokenizer {

struct DecodeContext {
  // The first token given is the first of the whole text. False when decoding a continuation
  // (streaming): then rules that only apply at the start of the text (Metaspace dropping the
  // leading space, Strip after Fuse) are skipped, so pieces concatenate to the full decode.
  bool first = true;
  bool fused = false;  // set by Fuse: tokens[0] is everything decoded so far
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens, DecodeContext& ctx) const = 0;
  // Whether `token` is one that ByteFallback collects into bytes (its meaning depends on the
  // tokens around it, which matters to the streaming detokenizer).
  virtual bool is_byte_fallback_token(const std::string& token) const { return false; }
};

// Builds the decoder described by `json`; null json -> nullptr. Unknown types throw
// junction::Error naming `where` and the type.
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& json, const std::string& where);

}  // namespace junction::tokenizer
