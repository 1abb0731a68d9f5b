// A Hugging Face tokenizer.json (+ tokenizer_config.json) loaded into memory: encodes text to
// ids and decodes ids to text exactly as HF tokenizers 0.23 does for BPE models (byte-level:
// Qwen2/3, Llama 3; SentencePiece-derived with byte_fallback: Llama 2, Mistral, Gemma, Phi-3).
// Immutable after load except for an internal word cache, so one instance may be shared by
// any number of threads calling encode/decode concurrently.
//
// Pipeline (HF's): sanitize input -> cut out added tokens (raw) -> normalize -> cut out added
// tokens (normalized) -> pre-tokenize -> BPE per word -> post-process (add_special_tokens).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/tokenizer_config.h"

namespace junction::tokenizer {

class Bpe;
class Decoder;
class Normalizer;
class PostProcessor;
class PreTokenizer;

class Tokenizer {
 public:
  // `path` is a model directory (reads tokenizer.json, and tokenizer_config.json /
  // chat_template.jinja if present) or a tokenizer.json file (its directory is searched for
  // the others). Throws junction::Error naming the file and field on any problem.
  static Tokenizer load(const std::string& path);
  // From the text of a tokenizer.json, for tests and fuzzing; `where` names it in errors.
  static Tokenizer from_json(std::string_view tokenizer_json, TokenizerConfig config = {},
                             const std::string& where = "tokenizer.json");

  // A tokenizer assembled by code rather than read from tokenizer.json (GGUF metadata, see
  // tokenizer/gguf_vocab.h). `model` is required; the other stages may be null.
  struct Parts {
    std::unique_ptr<Normalizer> normalizer;
    std::unique_ptr<PreTokenizer> pre_tokenizer;
    std::unique_ptr<Bpe> model;
    std::unique_ptr<PostProcessor> post_processor;
    std::unique_ptr<Decoder> decoder;
    AddedVocabulary added;
    TokenizerConfig config;
  };
  static Tokenizer from_parts(Parts parts);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Any bytes are accepted: invalid UTF-8 is first replaced with U+FFFD as Python's
  // errors='replace' does. add_special_tokens applies the post-processor (e.g. Llama's BOS);
  // without one, a BOS from tokenizer_config's add_bos_token.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = false) const;

  // Valid UTF-8 always; unknown ids are skipped, as HF does.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  // The decoder's raw output before invalid UTF-8 is replaced. `first`: ids[0] starts the text
  // (see DecodeContext). For IncrementalDetokenizer.
  std::string decode_bytes(std::span<const int32_t> ids, bool skip_special_tokens,
                           bool first) const;
  // The token's meaning depends on its neighbours (a <0xXX> byte under ByteFallback).
  bool is_byte_fallback_token(int32_t id) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // The raw vocab string ("Ġhello", "<|im_end|>"); empty for unknown ids.
  std::string_view id_to_token(int32_t id) const;
  // One past the largest id known to the model or the added tokens (the model's embedding
  // table may be larger, padded).
  size_t vocab_size() const;
  // Added tokens marked special (what skip_special_tokens drops).
  bool is_special(int32_t id) const;

  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> pad_id() const;
  std::string bos_token() const { return config_.bos_token.value_or(""); }
  std::string eos_token() const { return config_.eos_token.value_or(""); }
  bool add_bos() const { return config_.add_bos_token.value_or(false); }
  const std::string& chat_template() const { return config_.chat_template; }
  const TokenizerConfig& config() const { return config_; }

 private:
  Tokenizer();
  void encode_text(std::string_view text, bool at_start, std::vector<int32_t>& ids) const;

  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Bpe> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  AddedVocabulary added_;
  TokenizerConfig config_;
};

}  // namespace junction::tokenizer
