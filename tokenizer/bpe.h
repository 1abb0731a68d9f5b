// The BPE model of HF tokenizer.json ("model": {"type": "BPE"}): vocab, ranked merges, unk,
// byte_fallback (<0xXX> tokens), fuse_unk, ignore_merges, continuing_subword_prefix and
// end_of_word_suffix. Encodes one pre-tokenized word at a time. Merging uses a priority queue
// over a linked list of symbols, O(n log n) in the word length, so a megabyte-long word is
// slow-ish but never quadratic.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/word_cache.h"

namespace junction::tokenizer {

class Bpe {
 public:
  // One merge by ids: (left, right) -> new_id. Lower ranks merge first; equal ranks go
  // leftmost first (which is how SentencePiece's equal scores resolve).
  struct Merge {
    int32_t left;
    int32_t right;
    int32_t new_id;
    int32_t rank;
  };
  struct Options {
    std::string unk_token;  // "" for none
    bool byte_fallback = false;
    bool fuse_unk = false;
    bool ignore_merges = false;
  };

  // `model` is the tokenizer.json "model" object; `where` names it in error messages.
  Bpe(const nlohmann::json& model, const std::string& where);
  // From a vocab listed by id ("" for an id the model does not own; the first id of a
  // repeated string owns it) and merges by id, for vocabularies not read from tokenizer.json
  // (GGUF). Merges naming ids outside `tokens` throw junction::Error naming `where`.
  Bpe(std::vector<std::string> tokens, const std::vector<Merge>& merges, const Options& options,
      const std::string& where);

  // Appends the ids of `word` to `out`. Thread-safe.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // Empty view for ids outside the vocab.
  std::string_view id_to_token(int32_t id) const;
  // One past the largest id in the vocab.
  size_t id_limit() const { return id_to_token_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct MergeTarget {
    int32_t rank;
    int32_t new_id;
  };

  void set_options(const Options& options);
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  const MergeTarget* find_merge(int32_t left, int32_t right) const;

  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> vocab_;
  std::vector<std::string> id_to_token_;              // [id_limit], "" for holes
  std::unordered_map<uint64_t, MergeTarget> merges_;  // key: left << 32 | right
  std::array<int32_t, 256> byte_fallback_ids_;        // id of "<0xXX>" or -1
  std::optional<int32_t> unk_id_;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  std::unique_ptr<WordCache> cache_;  // behind a pointer: mutexes do not move
};

}  // namespace junction::tokenizer
