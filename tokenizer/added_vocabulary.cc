// Added-token matching; see added_vocabulary.h.
#include "tokenizer/added_vocabulary.h"

#include <utf8proc.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

// Rust's char::is_alphanumeric() || '_': HF's notion of a word character for single_word.
bool is_word_char(std::string_view s, size_t pos, size_t n) {
  if (n == 1) {
    const char c = s[pos];
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  if (utf8_valid_len(s, pos) != n) return false;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(utf8_decode(s, pos, n)))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

bool is_space_char(std::string_view s, size_t pos, size_t n) {
  if (n != 1) return false;
  const char c = s[pos];
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// Start of the last character of s[0, end).
size_t prev_char_start(std::string_view s, size_t end) {
  size_t p = end - 1;
  while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
  return p;
}

}  // namespace

void AddedVocabulary::Trie::insert(std::string_view key, int32_t token) {
  if (key.empty()) return;
  int32_t node = 0;
  for (unsigned char c : key) {
    const auto it = nodes[node].children.find(c);
    if (it != nodes[node].children.end()) {
      node = it->second;
    } else {
      nodes.push_back(Node{});
      const auto child = static_cast<int32_t>(nodes.size() - 1);
      nodes[node].children.emplace(c, child);
      node = child;
    }
  }
  // Two tokens with the same text: the first one listed keeps it.
  if (nodes[node].token < 0) nodes[node].token = token;
  first_byte[static_cast<unsigned char>(key[0])] = true;
}

int32_t AddedVocabulary::Trie::longest_at(std::string_view text, size_t pos, size_t* len) const {
  if (!first_byte[static_cast<unsigned char>(text[pos])]) return -1;
  int32_t node = 0;
  int32_t best = -1;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto it = nodes[node].children.find(static_cast<unsigned char>(text[i]));
    if (it == nodes[node].children.end()) break;
    node = it->second;
    if (nodes[node].token >= 0) {
      best = nodes[node].token;
      *len = i + 1 - pos;
    }
  }
  return best;
}

AddedVocabulary::AddedVocabulary(const nlohmann::json& added_tokens, const Normalizer* normalizer,
                                 const std::string& where) {
  if (added_tokens.is_null()) return;
  if (!added_tokens.is_array()) throw Error(where + ": expected an array");
  for (size_t i = 0; i < added_tokens.size(); ++i) {
    const auto& t = added_tokens[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() ||
        !t.contains("content") || !t["content"].is_string()) {
      throw Error(at + ": expected {\"id\": int, \"content\": string, ...}");
    }
    AddedToken token;
    const int64_t id = t["id"].get<int64_t>();
    if (id < 0 || id > INT32_MAX) throw Error(at + ".id: out of range");
    token.id = static_cast<int32_t>(id);
    token.content = t["content"].get<std::string>();
    token.special = t.value("special", false);
    token.normalized = t.value("normalized", !token.special);
    token.lstrip = t.value("lstrip", false);
    token.rstrip = t.value("rstrip", false);
    token.single_word = t.value("single_word", false);
    if (!utf8_is_valid(token.content)) throw Error(at + ".content: not valid UTF-8");
    std::string match = token.content;
    if (token.normalized && normalizer != nullptr) normalizer->normalize(match);
    const auto index = static_cast<int32_t>(tokens_.size());
    (token.normalized ? normalized_trie_ : raw_trie_).insert(match, index);
    by_id_.emplace(token.id, tokens_.size());
    by_content_.emplace(token.content, tokens_.size());
    match_text_.push_back(std::move(match));
    tokens_.push_back(std::move(token));
  }
}

const AddedToken* AddedVocabulary::find(int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::find(std::string_view content) const {
  const auto it = by_content_.find(std::string(content));
  return it == by_content_.end() ? nullptr : &tokens_[it->second];
}

void AddedVocabulary::split(std::vector<Segment>& segments, bool normalized) const {
  const Trie& trie = normalized ? normalized_trie_ : raw_trie_;
  if (trie.nodes.size() == 1) return;
  std::vector<Segment> out;
  out.reserve(segments.size());
  for (const Segment& s : segments) {
    if (s.token_id >= 0) {
      out.push_back(s);
    } else {
      split_one(s, trie, out);
    }
  }
  segments = std::move(out);
}

void AddedVocabulary::split_one(const Segment& segment, const Trie& trie,
                                std::vector<Segment>& out) const {
  const std::string_view text = segment.text;
  size_t start_offset = 0;  // end of the previous accepted match
  size_t pos = 0;
  auto emit_text = [&](size_t b, size_t e) {
    if (b < e) out.push_back({std::string(text.substr(b, e - b)), -1, segment.at_start && b == 0});
  };
  while (pos < text.size()) {
    size_t len = 0;
    const int32_t index = trie.longest_at(text, pos, &len);
    if (index < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[index];
    size_t start = pos;
    size_t stop = pos + len;
    pos = stop;  // the scan resumes after the match whether or not it is accepted
    if (token.single_word) {
      bool start_ok = start == 0;
      if (!start_ok) {
        const size_t p = prev_char_start(text, start);
        start_ok = !is_word_char(text, p, start - p);
      }
      bool stop_ok = stop == text.size();
      if (!stop_ok) {
        const size_t n = std::max<size_t>(1, utf8_valid_len(text, stop));
        stop_ok = !is_word_char(text, stop, n);
      }
      if (!start_ok || !stop_ok) continue;
    }
    if (token.lstrip) {
      size_t s = start;
      while (s > start_offset && is_space_char(text, s - 1, 1)) --s;
      start = s;
    }
    if (token.rstrip) {
      while (stop < text.size() && is_space_char(text, stop, 1)) ++stop;
      pos = stop;
    }
    emit_text(start_offset, start);
    out.push_back(
        {std::string(text.substr(start, stop - start)), token.id, segment.at_start && start == 0});
    start_offset = stop;
  }
  emit_text(start_offset, text.size());
}

}  // namespace junction::tokenizer
