// Tokenizer loading and the encode/decode pipeline; see tokenizer.h.
#include "tokenizer/tokenizer.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_depth.h"
#include "tokenizer/bpe.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"

namespace junction::tokenizer {

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path json_path = path;
  std::error_code ec;
  if (fs::is_directory(json_path, ec)) json_path /= "tokenizer.json";
  std::ifstream in(json_path, std::ios::binary);
  if (!in) throw Error(json_path.string() + ": cannot open tokenizer file");
  std::ostringstream ss;
  ss << in.rdbuf();
  TokenizerConfig config = load_tokenizer_config(json_path.parent_path().string());
  return from_json(ss.str(), std::move(config), json_path.string());
}

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, TokenizerConfig config,
                               const std::string& where) {
  check_json_depth(tokenizer_json, where);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(tokenizer_json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(where + ": expected a JSON object");
  Tokenizer t;
  try {
    auto field = [&](const char* key) { return j.contains(key) ? j[key] : nlohmann::json(); };
    t.normalizer_ = make_normalizer(field("normalizer"), where + ": normalizer");
    t.pre_tokenizer_ = make_pre_tokenizer(field("pre_tokenizer"), where + ": pre_tokenizer");
    if (!j.contains("model")) throw Error(where + ": model: missing");
    t.model_ = std::make_unique<Bpe>(j["model"], where + ": model");
    t.post_processor_ = make_post_processor(field("post_processor"), where + ": post_processor");
    t.decoder_ = make_decoder(field("decoder"), where + ": decoder");
    t.added_ =
        AddedVocabulary(field("added_tokens"), t.normalizer_.get(), where + ": added_tokens");
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": unexpected structure: " + e.what());
  }
  t.config_ = std::move(config);
  return t;
}

Tokenizer Tokenizer::from_parts(Parts parts) {
  if (!parts.model) throw Error("Tokenizer::from_parts: no model");
  Tokenizer t;
  t.normalizer_ = std::move(parts.normalizer);
  t.pre_tokenizer_ = std::move(parts.pre_tokenizer);
  t.model_ = std::move(parts.model);
  t.post_processor_ = std::move(parts.post_processor);
  t.decoder_ = std::move(parts.decoder);
  t.added_ = std::move(parts.added);
  t.config_ = std::move(parts.config);
  return t;
}

void Tokenizer::encode_text(std::string_view text, bool at_start, std::vector<int32_t>& ids) const {
  std::vector<Segment> segments{{std::string(text), -1, at_start}};
  added_.split(segments, false);
  if (normalizer_) {
    for (Segment& s : segments) {
      if (s.token_id < 0) normalizer_->normalize(s.text);
    }
  }
  added_.split(segments, true);
  std::vector<Piece> pieces;
  for (Segment& s : segments) {
    if (s.token_id >= 0) {
      ids.push_back(s.token_id);
      continue;
    }
    if (s.text.empty()) continue;
    pieces.clear();
    pieces.push_back({std::move(s.text), s.at_start});
    if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces);
    for (const Piece& p : pieces) model_->tokenize(p.text, ids);
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> ids;
  if (utf8_is_valid(text)) {
    encode_text(text, true, ids);
  } else {
    encode_text(utf8_sanitize(text), true, ids);
  }
  if (add_special_tokens) {
    if (post_processor_) {
      post_processor_->process(ids);
    } else if (add_bos()) {
      if (const auto bos = bos_id()) ids.insert(ids.begin(), *bos);
    }
  }
  return ids;
}

std::string Tokenizer::decode_bytes(std::span<const int32_t> ids, bool skip_special_tokens,
                                    bool first) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    if (const AddedToken* t = added_.find(id)) {
      if (!(skip_special_tokens && t->special)) tokens.push_back(t->content);
      continue;
    }
    const std::string_view token = model_->id_to_token(id);
    if (!token.empty()) tokens.emplace_back(token);
  }
  std::string out;
  if (decoder_) {
    DecodeContext ctx{first, false};
    decoder_->decode_chain(tokens, ctx);
    for (const std::string& t : tokens) out += t;
    return out;
  }
  // No decoder: HF joins tokens with spaces.
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0 || !first) out += ' ';
    out += tokens[i];
  }
  return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  return utf8_sanitize(decode_bytes(ids, skip_special_tokens, true));
}

bool Tokenizer::is_byte_fallback_token(int32_t id) const {
  if (!decoder_ || added_.find(id) != nullptr) return false;
  const std::string_view token = model_->id_to_token(id);
  return !token.empty() && decoder_->is_byte_fallback_token(std::string(token));
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* t = added_.find(token)) return t->id;
  return model_->token_to_id(token);
}

std::string_view Tokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* t = added_.find(id)) return t->content;
  return model_->id_to_token(id);
}

size_t Tokenizer::vocab_size() const {
  size_t n = model_->id_limit();
  for (const AddedToken& t : added_.tokens()) n = std::max(n, static_cast<size_t>(t.id) + 1);
  return n;
}

bool Tokenizer::is_special(int32_t id) const {
  const AddedToken* t = added_.find(id);
  return t != nullptr && t->special;
}

std::optional<int32_t> Tokenizer::bos_id() const {
  return config_.bos_token ? token_to_id(*config_.bos_token) : std::nullopt;
}

std::optional<int32_t> Tokenizer::eos_id() const {
  return config_.eos_token ? token_to_id(*config_.eos_token) : std::nullopt;
}

std::optional<int32_t> Tokenizer::pad_id() const {
  return config_.pad_token ? token_to_id(*config_.pad_token) : std::nullopt;
}

}  // namespace junction::tokenizer
