// Normalizers from HF tokenizer.json ("normalizer" field): NFC/NFD/NFKC/NFKD (utf8proc),
// Lowercase, Strip, Replace, Prepend, Append and Sequence. They run on each stretch of text
// between added tokens, before the pre-tokenizer. Offsets are not tracked: junction never
// needs them.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace junction::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Rewrites `text` (valid UTF-8) in place.
  virtual void normalize(std::string& text) const = 0;
};

// Builds the normalizer described by `json`; null json -> nullptr. Unknown types throw
// junction::Error naming `where` and the type.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& json, const std::string& where);

}  // namespace junction::tokenizer
