// The "added_tokens" of HF tokenizer.json: tokens such as <|im_start|> or <think> that are cut
// out of the text before normalization and BPE. Matching is leftmost-longest over the raw
// text (tokens with normalized=false) or over normalized text (normalized=true), honouring
// single_word, lstrip and rstrip, as HF's AddedVocabulary::find_matches does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace junction::tokenizer {

class Normalizer;

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool normalized = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
};

// A stretch of text between added tokens (token_id < 0), or one added token.
struct Segment {
  std::string text;
  int32_t token_id = -1;
  bool at_start = false;  // begins at offset 0 of the input
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) normalizes the content of normalized=true tokens.
  AddedVocabulary(const nlohmann::json& added_tokens, const Normalizer* normalizer,
                  const std::string& where);

  // Splits every text segment of `segments` around the tokens of one kind (normalized or not).
  void split(std::vector<Segment>& segments, bool normalized) const;

  const AddedToken* find(int32_t id) const;
  const AddedToken* find(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // A byte trie over the token contents of one kind; leftmost-longest search.
  struct Trie {
    struct Node {
      std::unordered_map<unsigned char, int32_t> children;
      int32_t token = -1;  // index into tokens_
    };
    std::vector<Node> nodes{Node{}};
    bool first_byte[256] = {};
    void insert(std::string_view key, int32_t token);
    // Longest token starting at text[pos]; returns its index or -1, length in *len.
    int32_t longest_at(std::string_view text, size_t pos, size_t* len) const;
  };

  void split_one(const Segment& segment, const Trie& trie, std::vector<Segment>& out) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, size_t> by_content_;
  std::vector<std::string> match_text_;  // content as matched (normalized for normalized=true)
  Trie raw_trie_;
  Trie normalized_trie_;
};

}  // namespace junction::tokenizer
