// GGUF tokenizer metadata -> Tokenizer; see gguf_vocab.h. The pipeline stages that tokenizer.json
// would describe (normalizer, pre-tokenizer, decoder) are built from small in-memory
// descriptions through the same factories; the vocab and merges go straight to Bpe by id.
#include "tokenizer/gguf_vocab.h"

#include <algorithm>
#include <unordered_map>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "formats/gguf.h"
#include "tokenizer/bpe.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

using json = nlohmann::json;

using namespace gguf_token_type;  // NOLINT: the token types by their short names

constexpr const char* kSpmSpace = "\xE2\x96\x81";  // ▁

// The regexes of HF's tokenizer.json for each family (llama.cpp rewrites (?i:...) by hand
// because its engine lacks it; PCRE2 takes the original).
constexpr const char* kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct PreSpec {
  const char* regex = nullptr;  // nullptr: GPT-2's, inside ByteLevel
  bool nfc = false;
  bool ignore_merges = false;
  bool add_bos = false;  // llama.cpp's default for add_bos_token
};

std::string key_error(const std::string& key, const std::string& what) {
  return "GGUF metadata '" + key + "': " + what;
}

PreSpec pre_spec(const std::optional<std::string>& pre) {
  if (!pre || *pre == "default" || *pre == "gpt-2" || *pre == "phi-2" || *pre == "mpt" ||
      *pre == "olmo" || *pre == "jais" || *pre == "exaone4" || *pre == "gigachat") {
    return {};
  }
  const std::string& p = *pre;
  if (p == "qwen2" || p == "deepseek-r1-qwen" || p == "stablelm2" || p == "megrez") {
    return {kQwen2Regex, true, false};
  }
  if (p == "llama3" || p == "llama-v3" || p == "llama-bpe" || p == "falcon3" || p == "pixtral") {
    return {kLlama3Regex, false, true, true};
  }
  if (p == "dbrx" || p == "smaug-bpe") return {kLlama3Regex, false, false};
  throw Error(key_error("tokenizer.ggml.pre", "pre-tokenizer '" + p +
                                                  "' is not supported (qwen2, deepseek-r1-qwen, "
                                                  "llama3, llama-bpe, gpt-2, default, ...)"));
}

const GgufValue& array(const GgufFile& gguf, const std::string& key, GgufValue::Type element) {
  const GgufValue* v = gguf.find(key);
  if (v == nullptr) throw Error(key_error(key, "missing"));
  if (v->type != GgufValue::Type::kArray) throw Error(key_error(key, "expected an array"));
  const bool ok = element == GgufValue::Type::kString ? v->array_type == element
                  : element == GgufValue::Type::kFloat32
                      ? std::all_of(v->array.begin(), v->array.end(),
                                    [](const GgufValue& x) { return x.is_number(); })
                      : std::all_of(v->array.begin(), v->array.end(),
                                    [](const GgufValue& x) { return x.is_integer(); });
  if (!ok) throw Error(key_error(key, "unexpected element type"));
  return *v;
}

std::optional<bool> get_bool(const GgufFile& gguf, const std::string& key) {
  const GgufValue* v = gguf.find(key);
  if (v == nullptr) return std::nullopt;
  if (const bool* b = std::get_if<bool>(&v->scalar)) return *b;
  if (v->is_integer()) return v->as_int() != 0;
  throw Error(key_error(key, "expected a bool"));
}

// The vocab as llama.cpp reads it: strings by id plus types (NORMAL when the key is absent).
struct Vocab {
  std::vector<std::string> tokens;               // [n_tokens]
  std::vector<int64_t> types;                    // [n_tokens]
  std::unordered_map<std::string, int32_t> ids;  // non-added tokens; first id of a repeat wins

  bool is_added(size_t id) const { return types[id] == kControl || types[id] == kUserDefined; }
  std::optional<int32_t> find(const std::string& s) const {
    const auto it = ids.find(s);
    return it == ids.end() ? std::nullopt : std::optional<int32_t>(it->second);
  }
};

Vocab read_vocab(const GgufFile& gguf) {
  Vocab v;
  const GgufValue& tokens = array(gguf, "tokenizer.ggml.tokens", GgufValue::Type::kString);
  if (tokens.array.empty()) throw Error(key_error("tokenizer.ggml.tokens", "empty"));
  if (tokens.array.size() > static_cast<size_t>(INT32_MAX)) {
    throw Error(key_error("tokenizer.ggml.tokens", "too many tokens"));
  }
  v.tokens.reserve(tokens.array.size());
  for (const GgufValue& t : tokens.array) v.tokens.push_back(t.as_string());
  v.types.assign(v.tokens.size(), kNormal);
  if (gguf.find("tokenizer.ggml.token_type") != nullptr) {
    const GgufValue& types = array(gguf, "tokenizer.ggml.token_type", GgufValue::Type::kInt32);
    if (types.array.size() != v.tokens.size()) {
      throw Error(key_error("tokenizer.ggml.token_type", "length differs from tokens"));
    }
    for (size_t i = 0; i < v.types.size(); ++i) v.types[i] = types.array[i].as_int();
  }
  v.ids.reserve(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (!v.is_added(i) && !v.tokens[i].empty()) v.ids.emplace(v.tokens[i], static_cast<int32_t>(i));
  }
  return v;
}

// The model's own strings by id: "" where an added token owns the id.
std::vector<std::string> model_tokens(const Vocab& v) {
  std::vector<std::string> out(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (!v.is_added(i)) out[i] = v.tokens[i];
  }
  return out;
}

AddedVocabulary added_tokens(const Vocab& v) {
  json list = json::array();
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (!v.is_added(i)) continue;
    list.push_back({{"id", i},
                    {"content", v.tokens[i]},
                    {"special", v.types[i] == kControl},
                    {"normalized", false}});
  }
  return AddedVocabulary(list, nullptr, "GGUF metadata 'tokenizer.ggml.tokens'");
}

std::optional<std::string> token_for(const GgufFile& gguf, const Vocab& v, const std::string& key,
                                     std::optional<int64_t> fallback) {
  std::optional<int64_t> id = gguf.get_int(key);
  // llama.cpp ignores an out-of-range id and keeps its default.
  if (!id || *id < 0 || *id >= static_cast<int64_t>(v.tokens.size())) id = fallback;
  if (!id) return std::nullopt;
  return v.tokens[static_cast<size_t>(*id)];
}

// `add_bos`: llama.cpp's default when tokenizer.ggml.add_bos_token is absent.
TokenizerConfig read_config(const GgufFile& gguf, const Vocab& v, bool spm, bool add_bos) {
  TokenizerConfig c;
  // llama.cpp's SPM defaults: <unk> 0, <s> 1, </s> 2, add BOS.
  c.bos_token = token_for(gguf, v, "tokenizer.ggml.bos_token_id",
                          spm ? std::optional<int64_t>(1) : std::nullopt);
  c.eos_token = token_for(gguf, v, "tokenizer.ggml.eos_token_id",
                          spm ? std::optional<int64_t>(2) : std::nullopt);
  c.pad_token = token_for(gguf, v, "tokenizer.ggml.padding_token_id", std::nullopt);
  c.add_bos_token = get_bool(gguf, "tokenizer.ggml.add_bos_token");
  if (!c.add_bos_token && add_bos) c.add_bos_token = true;
  c.add_eos_token = get_bool(gguf, "tokenizer.ggml.add_eos_token");
  c.chat_template = gguf.get_string("tokenizer.chat_template").value_or("");
  return c;
}

Tokenizer::Parts byte_level_bpe(const GgufFile& gguf, const Vocab& v, const PreSpec& spec) {
  const GgufValue& merges = array(gguf, "tokenizer.ggml.merges", GgufValue::Type::kString);
  std::vector<Bpe::Merge> by_id;
  by_id.reserve(merges.array.size());
  for (size_t rank = 0; rank < merges.array.size(); ++rank) {
    const std::string& m = merges.array[rank].as_string();
    // As llama.cpp: the separator is the first space after the first byte.
    const size_t space = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    const std::string where = "merge " + std::to_string(rank) + " \"" + m + "\"";
    if (space == std::string::npos) {
      throw Error(key_error("tokenizer.ggml.merges", where + " is not \"a b\""));
    }
    const std::string left = m.substr(0, space);
    const std::string right = m.substr(space + 1);
    const auto l = v.find(left), r = v.find(right), n = v.find(left + right);
    if (!l || !r || !n) {
      throw Error(key_error("tokenizer.ggml.merges", where + " names a token not in the vocab"));
    }
    by_id.push_back({*l, *r, *n, static_cast<int32_t>(rank)});
  }
  Bpe::Options options;
  options.ignore_merges = spec.ignore_merges;

  Tokenizer::Parts parts;
  const std::string where = "GGUF tokenizer";
  if (spec.nfc) parts.normalizer = make_normalizer(json{{"type", "NFC"}}, where);
  if (spec.regex != nullptr) {
    parts.pre_tokenizer = make_pre_tokenizer(
        json{{"type", "Sequence"},
             {"pretokenizers",
              {{{"type", "Split"},
                {"pattern", {{"Regex", spec.regex}}},
                {"behavior", "Isolated"},
                {"invert", false}},
               {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}},
        where);
  } else {
    parts.pre_tokenizer = make_pre_tokenizer(
        json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}, where);
  }
  parts.model = std::make_unique<Bpe>(model_tokens(v), by_id, options, "GGUF tokenizer.ggml");
  parts.decoder = make_decoder(json{{"type", "ByteLevel"}}, where);
  return parts;
}

// Offsets at which `s` starts a UTF-8 character, past 0 and before the end.
std::vector<size_t> inner_char_starts(const std::string& s) {
  std::vector<size_t> out;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t n = std::max<size_t>(1, utf8_valid_len(s, pos));
    pos += n;
    if (pos < s.size()) out.push_back(pos);
  }
  return out;
}

Tokenizer::Parts sentencepiece_bpe(const GgufFile& gguf, const Vocab& v) {
  const GgufValue& scores = array(gguf, "tokenizer.ggml.scores", GgufValue::Type::kFloat32);
  if (scores.array.size() != v.tokens.size()) {
    throw Error(key_error("tokenizer.ggml.scores", "length differs from tokens"));
  }
  // Dense rank of each normal token's score, highest first: equal scores share a rank, so the
  // leftmost pair wins between them, as in llama.cpp's queue.
  std::vector<double> distinct;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.types[i] == kNormal) distinct.push_back(scores.array[i].as_double());
  }
  std::sort(distinct.begin(), distinct.end(), std::greater<>());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  auto rank_of = [&](double score) {
    return static_cast<int32_t>(
        std::lower_bound(distinct.begin(), distinct.end(), score, std::greater<>()) -
        distinct.begin());
  };
  // Only NORMAL tokens are merge results: control, byte and unused pieces never come out of
  // SentencePiece's merging.
  std::vector<Bpe::Merge> merges;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.types[i] != kNormal) continue;
    const std::string& t = v.tokens[i];
    const auto self = v.find(t);
    if (!self || static_cast<size_t>(*self) != i) continue;  // a repeat; the first id owns it
    const int32_t rank = rank_of(scores.array[i].as_double());
    for (const size_t cut : inner_char_starts(t)) {
      const auto l = v.find(t.substr(0, cut)), r = v.find(t.substr(cut));
      if (l && r) merges.push_back({*l, *r, static_cast<int32_t>(i), rank});
    }
  }
  Bpe::Options options;
  options.byte_fallback = true;  // used only where <0xXX> tokens exist
  options.fuse_unk = true;
  const std::optional<std::string> unk =
      token_for(gguf, v, "tokenizer.ggml.unknown_token_id", std::optional<int64_t>(0));
  if (unk) options.unk_token = *unk;

  Tokenizer::Parts parts;
  const std::string where = "GGUF tokenizer";
  const json replace_space = {
      {"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpmSpace}};
  const bool add_space_prefix = get_bool(gguf, "tokenizer.ggml.add_space_prefix").value_or(true);
  if (add_space_prefix) {
    parts.normalizer = make_normalizer(
        json{{"type", "Sequence"},
             {"normalizers", {{{"type", "Prepend"}, {"prepend", kSpmSpace}}, replace_space}}},
        where);
  } else {
    parts.normalizer = make_normalizer(replace_space, where);
  }
  parts.model = std::make_unique<Bpe>(model_tokens(v), merges, options, "GGUF tokenizer.ggml");
  // The space the encoder prepended is dropped again; without one (Gemma) a leading space is the
  // text's own and stays, as llama.cpp's detokenize keeps it.
  json decoders = {{{"type", "Replace"}, {"pattern", {{"String", kSpmSpace}}}, {"content", " "}},
                   {{"type", "ByteFallback"}},
                   {{"type", "Fuse"}}};
  if (add_space_prefix)
    decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  parts.decoder = make_decoder(json{{"type", "Sequence"}, {"decoders", decoders}}, where);
  return parts;
}

}  // namespace

Tokenizer tokenizer_from_gguf(const GgufFile& gguf) {
  const std::optional<std::string> model = gguf.get_string("tokenizer.ggml.model");
  if (!model) throw Error(key_error("tokenizer.ggml.model", "missing"));
  if (*model != "gpt2" && *model != "llama") {
    throw Error(key_error("tokenizer.ggml.model",
                          "tokenizer '" + *model + "' is not supported (gpt2, llama)"));
  }
  const bool spm = *model == "llama";
  const Vocab vocab = read_vocab(gguf);
  bool add_bos = spm;
  Tokenizer::Parts parts;
  if (spm) {
    parts = sentencepiece_bpe(gguf, vocab);
  } else {
    const PreSpec spec = pre_spec(gguf.get_string("tokenizer.ggml.pre"));
    add_bos = spec.add_bos;
    parts = byte_level_bpe(gguf, vocab, spec);
  }
  parts.added = added_tokens(vocab);
  parts.config = read_config(gguf, vocab, spm, add_bos);
  return Tokenizer::from_parts(std::move(parts));
}

}  // namespace junction::tokenizer
