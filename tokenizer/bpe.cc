// BPE model; see bpe.h. The merge loop follows HF tokenizers' Word::merge_all so ties and
// stale queue entries resolve identically: lowest rank first, then leftmost position.
#include "tokenizer/bpe.h"

#include <cstdio>
#include <queue>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

// Words longer than this (bytes) are not cached: they are rare and would crowd out the rest.
constexpr size_t kMaxCachedWord = 256;
constexpr size_t kCacheCapacity = 10000;  // words, as in HF

std::string optional_string(const nlohmann::json& json, const char* key) {
  if (!json.contains(key) || !json[key].is_string()) return "";
  return json[key].get<std::string>();
}

}  // namespace

Bpe::Bpe(const nlohmann::json& model, const std::string& where)
    : cache_(std::make_unique<WordCache>(kCacheCapacity)) {
  if (!model.is_object()) throw Error(where + ": expected an object");
  const std::string type = model.value("type", std::string("BPE"));
  if (type != "BPE") throw Error(where + ".type: model '" + type + "' is not supported (BPE only)");
  if (model.contains("dropout") && model["dropout"].is_number() &&
      model["dropout"].get<double>() > 0.0) {
    throw Error(where + ".dropout: BPE dropout is not supported");
  }
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    throw Error(where + ".vocab: expected an object of token -> id");
  }
  const auto& vocab = model["vocab"];
  vocab_.reserve(vocab.size());
  int64_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > INT32_MAX) {
      throw Error(where + ".vocab[\"" + it.key() + "\"]: expected a non-negative integer id");
    }
    const auto id = static_cast<int32_t>(it.value().get<int64_t>());
    vocab_.emplace(it.key(), id);
    max_id = std::max<int64_t>(max_id, id);
  }
  if (max_id >= static_cast<int64_t>(vocab.size()) * 4 + 1024) {
    throw Error(where + ".vocab: ids are too sparse (largest " + std::to_string(max_id) + ")");
  }
  id_to_token_.resize(static_cast<size_t>(max_id + 1));
  for (const auto& [token, id] : vocab_) id_to_token_[id] = token;

  Options options;
  options.unk_token = optional_string(model, "unk_token");
  options.byte_fallback = model.value("byte_fallback", false);
  options.fuse_unk = model.value("fuse_unk", false);
  options.ignore_merges = model.value("ignore_merges", false);
  set_options(options);
  continuing_subword_prefix_ = optional_string(model, "continuing_subword_prefix");
  end_of_word_suffix_ = optional_string(model, "end_of_word_suffix");

  if (!model.contains("merges") || !model["merges"].is_array()) {
    throw Error(where + ".merges: expected an array");
  }
  const auto& merges = model["merges"];
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& m = merges[rank];
    std::string left, right;
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        throw Error(where + ".merges[" + std::to_string(rank) + "]: expected \"a b\"");
      }
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      throw Error(where + ".merges[" + std::to_string(rank) + "]: expected \"a b\" or [a, b]");
    }
    const auto left_id = token_to_id(left);
    const auto right_id = token_to_id(right);
    std::string merged = left;
    merged.append(right, std::min(continuing_subword_prefix_.size(), right.size()));
    const auto new_id = token_to_id(merged);
    if (!left_id || !right_id || !new_id) {
      throw Error(where + ".merges[" + std::to_string(rank) + "]: token of \"" + left + " " +
                  right + "\" is not in the vocab");
    }
    const uint64_t key = (static_cast<uint64_t>(*left_id) << 32) | static_cast<uint32_t>(*right_id);
    // The first (lowest-rank) occurrence of a pair wins, as in HF.
    merges_.emplace(key, MergeTarget{static_cast<int32_t>(rank), *new_id});
  }
}

Bpe::Bpe(std::vector<std::string> tokens, const std::vector<Merge>& merges, const Options& options,
         const std::string& where)
    : id_to_token_(std::move(tokens)), cache_(std::make_unique<WordCache>(kCacheCapacity)) {
  vocab_.reserve(id_to_token_.size());
  for (size_t id = 0; id < id_to_token_.size(); ++id) {
    if (!id_to_token_[id].empty()) vocab_.emplace(id_to_token_[id], static_cast<int32_t>(id));
  }
  set_options(options);
  const auto n = static_cast<int64_t>(id_to_token_.size());
  merges_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const Merge& m = merges[i];
    if (m.left < 0 || m.left >= n || m.right < 0 || m.right >= n || m.new_id < 0 || m.new_id >= n) {
      throw Error(where + ".merges[" + std::to_string(i) + "]: id out of range");
    }
    const uint64_t key = (static_cast<uint64_t>(m.left) << 32) | static_cast<uint32_t>(m.right);
    merges_.emplace(key, MergeTarget{m.rank, m.new_id});
  }
}

void Bpe::set_options(const Options& options) {
  unk_id_.reset();
  if (!options.unk_token.empty()) {
    if (auto id = token_to_id(options.unk_token)) unk_id_ = *id;
  }
  byte_fallback_ = options.byte_fallback;
  fuse_unk_ = options.fuse_unk;
  ignore_merges_ = options.ignore_merges;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    const auto id = token_to_id(name);
    byte_fallback_ids_[b] = id ? *id : -1;
  }
}

std::optional<int32_t> Bpe::token_to_id(std::string_view token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::string_view Bpe::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) return {};
  return id_to_token_[id];
}

const Bpe::MergeTarget* Bpe::find_merge(int32_t left, int32_t right) const {
  const uint64_t key = (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
  const auto it = merges_.find(key);
  return it == merges_.end() ? nullptr : &it->second;
}

void Bpe::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (auto id = token_to_id(word)) {
      out.push_back(*id);
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWord;
  if (cacheable && cache_->lookup(word, out)) return;
  const size_t first = out.size();
  merge_word(word, out);
  if (cacheable) cache_->insert(word, out.data() + first, out.size() - first);
}

void Bpe::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  struct Symbol {
    int32_t id;
    int32_t prev;  // index, -1 at the start
    int32_t next;  // index, -1 at the end
    bool alive;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&](int32_t id) {
    const auto n = static_cast<int32_t>(symbols.size());
    if (n > 0) symbols.back().next = n;
    symbols.push_back({id, n - 1, -1, true});
  };

  // Characters -> initial symbols; unknown characters become byte tokens or (fused) unk.
  bool pending_unk = false;
  std::string scratch;
  size_t pos = 0;
  while (pos < word.size()) {
    size_t n = utf8_valid_len(word, pos);
    if (n == 0) n = 1;  // cannot happen on sanitized input; treat the byte as a character
    const std::string_view ch = word.substr(pos, n);
    const bool is_first = pos == 0;
    pos += n;
    const bool is_last = pos == word.size();
    std::optional<int32_t> id;
    if ((is_first || continuing_subword_prefix_.empty()) &&
        (!is_last || end_of_word_suffix_.empty())) {
      id = token_to_id(ch);
    } else {
      scratch.assign(is_first ? "" : continuing_subword_prefix_);
      scratch.append(ch);
      if (is_last) scratch.append(end_of_word_suffix_);
      id = token_to_id(scratch);
    }
    if (id) {
      if (pending_unk) add(*unk_id_);
      pending_unk = false;
      add(*id);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (unsigned char b : ch) all = all && byte_fallback_ids_[b] >= 0;
      if (all) {
        for (unsigned char b : ch) add(byte_fallback_ids_[b]);
        continue;
      }
    }
    if (unk_id_) {
      if (pending_unk && !fuse_unk_) add(*unk_id_);
      pending_unk = true;
    }
    // No unk token: HF drops the character silently.
  }
  if (pending_unk) add(*unk_id_);
  if (symbols.empty()) return;

  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator<(const Candidate& o) const {  // max-heap order: "less" = lower priority
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate> queue;
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const MergeTarget* m = find_merge(symbols[i].id, symbols[i + 1].id)) {
      queue.push({m->rank, static_cast<int32_t>(i), m->new_id});
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    const MergeTarget* m = find_merge(left.id, right.id);
    if (m == nullptr || m->new_id != top.new_id) continue;  // stale entry
    left.id = top.new_id;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0) {
      if (const MergeTarget* p = find_merge(symbols[left.prev].id, left.id)) {
        queue.push({p->rank, left.prev, p->new_id});
      }
    }
    if (left.next >= 0) {
      if (const MergeTarget* n = find_merge(left.id, symbols[left.next].id)) {
        queue.push({n->rank, top.pos, n->new_id});
      }
    }
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace junction::tokenizer
