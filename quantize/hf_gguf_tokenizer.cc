#include "quantize/hf_gguf_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "quantize/hf_json_file.h"
#include "quantize/sentencepiece_model.h"

namespace junction {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

using namespace gguf_token_type;  // NOLINT: the token types by their short names

// Past any real vocabulary (262,144 is Gemma 3's) and small enough that a hostile vocab_size
// cannot make the [PAD{i}] list exhaust memory.
constexpr int64_t kMaxVocab = int64_t{1} << 24;

constexpr const char* kSpmSpace = "\xe2\x96\x81";  // ▁

// The folder's files, read once.
struct HfFolder {
  fs::path dir;
  json config;
  json tokenizer_config;  // {} when absent
  json tokenizer;         // null when tokenizer.json is absent
  std::string arch;       // llama.cpp's architecture name
};

// ModelBase.does_token_look_special
bool looks_special(const std::string& t) {
  auto starts = [&](const std::string& p) { return t.rfind(p, 0) == 0; };
  auto ends = [&](const std::string& s) {
    return t.size() >= s.size() && t.compare(t.size() - s.size(), s.size(), s) == 0;
  };
  return t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]" ||
         (starts("<|") && ends("|>")) || (starts("<\xef\xbd\x9c") && ends("\xef\xbd\x9c>")) ||
         (starts("<unused") && ends(">"));
}

// An added token's "special" flag; anything but true is false.
bool marked_special(const json& token) {
  const json special = token.value("special", json(false));
  return special.is_boolean() && special.get<bool>();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

// config.json's vocab_size, or `fallback` when it has none.
int64_t vocab_size(const HfFolder& f, int64_t fallback) {
  const json v = f.config.value("vocab_size", json());
  if (v.is_null()) return fallback;
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > kMaxVocab)
    throw Error((f.dir / "config.json").string() + ": vocab_size must be an integer in 1.." +
                std::to_string(kMaxVocab));
  return v.get<int64_t>();
}

// The added tokens of tokenizer.json ([] without one), each checked for an integer id and a
// string content.
json tokenizer_json_added_tokens(const HfFolder& f) {
  if (f.tokenizer.is_null()) return json::array();
  const json added = f.tokenizer.value("added_tokens", json::array());
  if (!added.is_array())
    throw Error((f.dir / "tokenizer.json").string() + ": added_tokens is not an array");
  for (const auto& a : added)
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() ||
        !a.contains("content") || !a["content"].is_string())
      throw Error((f.dir / "tokenizer.json").string() +
                  ": an added token lacks an integer id or a string content");
  return added;
}

// The GGUF key of a special token type (gguf-py's Keys.Tokenizer).
std::string special_id_key(const std::string& type) {
  if (type == "unk") return "tokenizer.ggml.unknown_token_id";
  if (type == "sep") return "tokenizer.ggml.seperator_token_id";  // sic: gguf-py's key
  if (type == "pad") return "tokenizer.ggml.padding_token_id";
  return "tokenizer.ggml." + type + "_token_id";
}

// gguf-py's SpecialVocab(dir, special_token_types=types, n_vocab) followed by add_to_gguf: ids
// named by tokenizer_config's *_token strings (looked up among tokenizer.json's added tokens)
// first, then config.json's *_token_id for the types still unset; the add_*_token flags; the
// chat template when `chat_template`. `fallback`: ids the caller sets after loading
// (_set_special_token), for the types still unset. Ids outside the vocabulary are skipped (gguf-py
// skips them when it knows n_vocab; an id past the vocabulary means nothing to any runtime).
// Types without a gguf-py handler (prefix, suffix, middle, fsep) are left out, as add_to_gguf
// leaves them. Two differences: a config.json id that is a list gives its first id (gguf-py
// takes none), and a chat template given as a list of named templates is not written.
void add_special_vocab(GgufMetadata& m, const HfFolder& f, const std::vector<std::string>& types,
                       int64_t n_vocab,
                       const std::vector<std::pair<std::string, int64_t>>& fallback,
                       bool chat_template) {
  std::vector<std::pair<std::string, int64_t>> ids;  // in the order they were set
  auto set = [&](const std::string& type, int64_t id) {
    if (id < 0 || id >= n_vocab) return;
    for (const auto& [t, _] : ids)
      if (t == type) return;
    ids.emplace_back(type, id);
  };
  const json& tc = f.tokenizer_config;
  const json added = tokenizer_json_added_tokens(f);
  std::vector<std::pair<std::string, bool>> add_flags;
  for (const auto& type : types) {
    const json flag = tc.value("add_" + type + "_token", json());
    if (flag.is_boolean()) add_flags.emplace_back(type, flag.get<bool>());
    const json entry = tc.value(type + "_token", json());
    std::string content;
    if (entry.is_string())
      content = entry.get<std::string>();
    else if (entry.is_object() && entry.contains("content") && entry["content"].is_string())
      content = entry["content"].get<std::string>();
    else
      continue;
    for (const auto& a : added) {
      if (a["content"].get<std::string>() == content) {
        set(type, a["id"].get<int64_t>());
        break;
      }
    }
  }
  for (const auto& type : types) {
    const json id = f.config.value(type + "_token_id", json());
    const json& one = id.is_array() && !id.empty() ? id[0] : id;
    if (one.is_number_integer()) set(type, one.get<int64_t>());
  }
  for (const auto& [type, id] : fallback) set(type, id);

  static const std::vector<std::string> with_handler = {"bos", "eos",  "unk", "sep", "pad",
                                                        "cls", "mask", "eot", "eom"};
  auto handled = [&](const std::string& type) {
    return std::find(with_handler.begin(), with_handler.end(), type) != with_handler.end();
  };
  for (const auto& [type, id] : ids)
    if (handled(type)) m.emplace_back(special_id_key(type), gguf_uint32(static_cast<uint32_t>(id)));
  for (const auto& [type, value] : add_flags)
    if (type == "bos" || type == "eos" || type == "sep")
      m.emplace_back("tokenizer.ggml.add_" + type + "_token", gguf_bool(value));

  // The template: tokenizer_config.json's, else chat_template.jinja's, else chat_template.json's
  // (SpecialVocab reads none of them without a tokenizer_config.json).
  if (!chat_template || tc.empty()) return;
  std::optional<std::string> text;
  if (tc.contains("chat_template")) {
    if (tc["chat_template"].is_string()) text = tc["chat_template"].get<std::string>();
  } else if (fs::exists(f.dir / "chat_template.jinja")) {
    std::ifstream in(f.dir / "chat_template.jinja");
    std::stringstream s;
    s << in.rdbuf();
    text = s.str();
  } else if (fs::exists(f.dir / "chat_template.json")) {
    const json t = read_hf_json(f.dir / "chat_template.json");
    if (t.is_object() && t.contains("chat_template") && t["chat_template"].is_string())
      text = t["chat_template"].get<std::string>();
  }
  if (text) m.emplace_back("tokenizer.chat_template", gguf_string(*text));
}

const std::vector<std::string> kSpecialTypes = {"bos", "eos", "unk", "sep", "pad", "cls", "mask"};

struct SpmVocab {
  std::vector<std::string> tokens;  // [n_vocab]
  std::vector<float> scores;        // [n_vocab]
  std::vector<int32_t> types;       // [n_vocab], gguf_token_type
};

// An added token over the SentencePiece vocabulary at `id`, or nothing for ids outside it.
// `phi3`: Phi3MiniModel.set_vocab's rule (USER_DEFINED, CONTROL when marked special, the text as
// it is); otherwise _create_vocab_sentencepiece's (CONTROL also when the text looks special,
// ▁ turned into a space in USER_DEFINED ones).
void put_added(SpmVocab& v, int64_t id, std::string text, bool special, bool phi3) {
  if (id < 0 || id >= static_cast<int64_t>(v.tokens.size())) return;
  const size_t i = static_cast<size_t>(id);
  if (phi3) {
    v.types[i] = special ? kControl : kUserDefined;
  } else if (special || looks_special(text)) {
    v.types[i] = kControl;
  } else {
    text = replace_all(std::move(text), kSpmSpace, " ");
    v.types[i] = kUserDefined;
  }
  v.scores[i] = -1000.0f;
  v.tokens[i] = std::move(text);
}

// _create_vocab_sentencepiece, or Phi3MiniModel.set_vocab's version of it for `phi3`.
SpmVocab sentencepiece_vocab(const HfFolder& f, bool phi3) {
  const std::vector<SentencePiece> pieces =
      read_sentencepiece_model((f.dir / "tokenizer.model").string());
  const int64_t n_vocab = vocab_size(f, static_cast<int64_t>(pieces.size()));
  SpmVocab v;
  v.tokens.reserve(static_cast<size_t>(n_vocab));
  for (int64_t i = 0; i < n_vocab; ++i) v.tokens.push_back("[PAD" + std::to_string(i) + "]");
  v.scores.assign(static_cast<size_t>(n_vocab), -10000.0f);
  v.types.assign(static_cast<size_t>(n_vocab), kUnused);
  for (size_t i = 0; i < pieces.size() && i < v.tokens.size(); ++i) {
    v.tokens[i] = pieces[i].piece;
    v.scores[i] = pieces[i].score;
    switch (pieces[i].type) {
      case SentencePiece::Type::kNormal:
        v.types[i] = kNormal;
        break;
      case SentencePiece::Type::kUnknown:
        v.types[i] = kUnknown;
        break;
      case SentencePiece::Type::kControl:
        v.types[i] = kControl;
        break;
      case SentencePiece::Type::kUnused:
        v.types[i] = kUnused;
        break;
      case SentencePiece::Type::kByte:
        v.types[i] = kByte;
        break;
    }
  }
  if (fs::exists(f.dir / "added_tokens.json")) {
    const json added = read_hf_json(f.dir / "added_tokens.json");
    if (!added.is_object())
      throw Error((f.dir / "added_tokens.json").string() + " is not an object of token ids");
    for (const auto& [text, id] : added.items()) {
      if (!id.is_number_integer())
        throw Error((f.dir / "added_tokens.json").string() + ": the id of '" + text +
                    "' is not an integer");
      const int64_t i = id.get<int64_t>();
      if (i < 0 || i >= n_vocab) continue;
      v.tokens[static_cast<size_t>(i)] = text;
      v.scores[static_cast<size_t>(i)] = -1000.0f;
      v.types[static_cast<size_t>(i)] = kUserDefined;
    }
  }
  const json decoder = f.tokenizer_config.value("added_tokens_decoder", json::object());
  if (!decoder.is_object())
    throw Error((f.dir / "tokenizer_config.json").string() +
                ": added_tokens_decoder is not an object");
  for (const auto& [key, data] : decoder.items()) {
    int64_t id = -1;
    size_t used = 0;
    try {
      id = std::stoll(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != key.size() || !data.is_object() || !data.contains("content") ||
        !data["content"].is_string())
      throw Error((f.dir / "tokenizer_config.json").string() + ": added_tokens_decoder entry '" +
                  key + "' is not a token id with a string content");
    put_added(v, id, data["content"].get<std::string>(), marked_special(data), phi3);
  }
  if (phi3) {
    for (const auto& a : tokenizer_json_added_tokens(f))
      put_added(v, a["id"].get<int64_t>(), a["content"].get<std::string>(), marked_special(a),
                true);
  }
  return v;
}

GgufMetadata sentencepiece_metadata(const HfFolder& f) {
  GgufMetadata m;
  const json& tc = f.tokenizer_config;
  // LlamaModel.set_vocab writes this before the vocabulary.
  if (f.arch == "llama" && tc.contains("add_prefix_space") && tc["add_prefix_space"].is_boolean())
    m.emplace_back("tokenizer.ggml.add_space_prefix",
                   gguf_bool(tc["add_prefix_space"].get<bool>()));
  const SpmVocab v = sentencepiece_vocab(f, f.arch == "phi3");
  const auto n_vocab = static_cast<int64_t>(v.tokens.size());
  m.emplace_back("tokenizer.ggml.model", gguf_string("llama"));
  m.emplace_back("tokenizer.ggml.pre", gguf_string("default"));
  m.emplace_back("tokenizer.ggml.tokens", gguf_string_array(v.tokens));
  m.emplace_back("tokenizer.ggml.scores", gguf_float32_array(v.scores));
  m.emplace_back("tokenizer.ggml.token_type", gguf_int32_array(v.types));
  add_special_vocab(m, f, kSpecialTypes, n_vocab, {}, true);
  if (f.arch == "gemma") {
    // GemmaModel.set_vocab: a second SpecialVocab for CodeGemma's fill-in-the-middle ids, of
    // which gguf-py writes eot only; then no space prefix.
    add_special_vocab(m, f, {"prefix", "suffix", "middle", "fsep", "eot"}, n_vocab,
                      {{"prefix", 67}, {"suffix", 69}, {"middle", 68}, {"fsep", 70}, {"eot", 107}},
                      false);
    m.emplace_back("tokenizer.ggml.add_space_prefix", gguf_bool(false));
  }
  if (f.arch == "llama" && n_vocab == 32016)  // CodeLlama, as LlamaModel.set_vocab
    add_special_vocab(m, f, {"prefix", "suffix", "middle", "eot"}, n_vocab,
                      {{"prefix", 32007}, {"suffix", 32008}, {"middle", 32009}, {"eot", 32010}},
                      false);
  return m;
}

// Llama 3's pre-tokenizer regex as its tokenizer.json writes it (the tokenizer layer's
// kLlama3Regex; quantize does not link the tokenizer).
constexpr const char* kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// tokenizer.ggml.pre. The converter names it by hashing the tokenizer's output on a test text
// (get_vocab_base_pre); here it comes from the architecture, and for other byte-level BPE folders
// from the pre-tokenizer itself: Llama 3's regex is "llama-bpe" (its tokenizer.json ignores
// merges) or, without ignore_merges, "smaug-bpe", the converter's name for the same regex;
// anything else is "default" (GPT-2's).
std::string pre_tokenizer_name(const HfFolder& f) {
  const std::string model_type = f.config.value("model_type", "");
  if (model_type == "qwen2" || model_type == "qwen3") return "qwen2";
  const json& tok = f.tokenizer;
  if (tok.contains("pre_tokenizer") &&
      tok["pre_tokenizer"].dump().find(json(kLlama3Regex).dump()) != std::string::npos) {
    const json ignore = tok["model"].value("ignore_merges", json(false));
    return ignore.is_boolean() && ignore.get<bool>() ? "llama-bpe" : "smaug-bpe";
  }
  return "default";
}

// Byte-level BPE (GPT-2 style: Qwen, Llama 3) from tokenizer.json.
GgufMetadata byte_level_metadata(const HfFolder& f) {
  const fs::path path = f.dir / "tokenizer.json";
  const json& tok = f.tokenizer;
  if (!tok.is_object() || !tok.contains("model") || !tok["model"].is_object())
    throw Error(path.string() + " has no \"model\" object");
  const json& model = tok["model"];
  // SentencePiece vocabularies written as tokenizer.json (a BPE with byte fallback and the
  // U+2581 word marker, or a Unigram) need the scores of tokenizer.model; written as GPT-2 BPE
  // they would tokenize wrongly, so they are refused.
  auto mentions = [&](const char* key, const std::string& what) {
    return tok.contains(key) && tok[key].dump().find(what) != std::string::npos;
  };
  if (model.value("type", "") != "BPE" || model.value("byte_fallback", false) ||
      mentions("pre_tokenizer", "Metaspace") || mentions("decoder", "Metaspace") ||
      mentions("normalizer", kSpmSpace))
    throw Error(path.string() +
                ": a SentencePiece vocabulary needs its tokenizer.model beside tokenizer.json "
                "(the model's repository ships it: download it into " +
                f.dir.string() +
                "), or pass --tokenizer-from FILE.gguf with this model's vocabulary (a GGUF of "
                "it from llama.cpp's converter, e.g. --vocab-only)");

  // id -> token over the model vocabulary and the added tokens.
  std::map<int64_t, std::string> by_id;
  if (!model.contains("vocab") || !model["vocab"].is_object())
    throw Error(path.string() + ": model.vocab is not an object");
  for (const auto& [text, id] : model["vocab"].items()) {
    if (!id.is_number_integer())
      throw Error(path.string() + ": the id of '" + text + "' is not an integer");
    by_id[id.get<int64_t>()] = text;
  }
  std::map<int64_t, bool> added_special;  // id -> marked special
  const json added = tokenizer_json_added_tokens(f);
  for (const auto& a : added) {
    by_id[a["id"].get<int64_t>()] = a["content"].get<std::string>();
    added_special[a["id"].get<int64_t>()] = marked_special(a);
  }
  const int64_t n_vocab = vocab_size(f, static_cast<int64_t>(by_id.size()));
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  tokens.reserve(static_cast<size_t>(n_vocab));
  types.reserve(static_cast<size_t>(n_vocab));
  for (int64_t id = 0; id < n_vocab; ++id) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      tokens.push_back("[PAD" + std::to_string(id) + "]");
      types.push_back(kUnused);
      continue;
    }
    std::string text = it->second;
    auto sp = added_special.find(id);
    if (sp == added_special.end()) {
      types.push_back(kNormal);
    } else if (sp->second || looks_special(text)) {
      types.push_back(kControl);
    } else {
      text = replace_all(std::move(text), kSpmSpace, " ");
      types.push_back(kUserDefined);
    }
    tokens.push_back(std::move(text));
  }
  std::vector<std::string> merges;
  for (const auto& merge : model.value("merges", json::array())) {
    if (merge.is_string())
      merges.push_back(merge.get<std::string>());
    else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string())
      merges.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
    else
      throw Error(path.string() + ": a merge is neither \"a b\" nor [\"a\", \"b\"]");
  }

  GgufMetadata m;
  m.emplace_back("tokenizer.ggml.model", gguf_string("gpt2"));
  m.emplace_back("tokenizer.ggml.pre", gguf_string(pre_tokenizer_name(f)));
  m.emplace_back("tokenizer.ggml.tokens", gguf_string_array(tokens));
  m.emplace_back("tokenizer.ggml.token_type", gguf_int32_array(types));
  if (!merges.empty()) m.emplace_back("tokenizer.ggml.merges", gguf_string_array(merges));
  add_special_vocab(m, f, kSpecialTypes, n_vocab, {}, true);
  return m;
}

}  // namespace

GgufMetadata hf_tokenizer_metadata(const std::string& model_dir) {
  HfFolder f;
  f.dir = fs::path(model_dir);
  const bool has_model = fs::exists(f.dir / "tokenizer.model");
  const bool has_json = fs::exists(f.dir / "tokenizer.json");
  if (!has_model && !has_json) return {};
  f.config = read_hf_json(f.dir / "config.json");
  f.arch = gguf_architecture(f.config.value("model_type", ""));
  if (fs::exists(f.dir / "tokenizer_config.json")) {
    f.tokenizer_config = read_hf_json(f.dir / "tokenizer_config.json");
    if (!f.tokenizer_config.is_object())
      throw Error((f.dir / "tokenizer_config.json").string() + " is not a JSON object");
  } else {
    f.tokenizer_config = json::object();
  }
  if (has_json) f.tokenizer = read_hf_json(f.dir / "tokenizer.json");
  if (!f.tokenizer.is_null() && !f.tokenizer.is_object())
    throw Error((f.dir / "tokenizer.json").string() + " is not a JSON object");
  // The converter tries tokenizer.model first (LlamaModel, Qwen2Model; GemmaModel and
  // Phi3MiniModel require it), except for Phi-3 folders whose tokenizer is GPT-2's (Phi-4).
  const bool gpt2_phi =
      f.arch == "phi3" && f.tokenizer_config.value("tokenizer_class", json()) == "GPT2Tokenizer";
  if (has_model && !gpt2_phi) return sentencepiece_metadata(f);
  if (!has_json) return {};
  return byte_level_metadata(f);
}

}  // namespace junction
