// Decoder implementations; see decoder.h. Each mirrors the HF tokenizers 0.23 decode_chain of
// the same name.
#include "tokenizer/decoder.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pattern.h"
#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens, DecodeContext&) const override {
    std::string bytes;
    for (std::string& t : tokens) {
      bytes.clear();
      if (byte_level_decode(t, bytes)) t.swap(bytes);  // else: HF keeps the token's own bytes
    }
  }
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens, DecodeContext& ctx) const override {
    const Pattern pattern = Pattern::literal(replacement_);
    for (size_t i = 0; i < tokens.size(); ++i) {
      // HF drops every replacement character of the first token, not only a leading one.
      const bool drop = i == 0 && ctx.first && strip_first_;
      tokens[i] = pattern.replace_all(tokens[i], drop ? "" : " ");
    }
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

// "<0xAB>" -> 0xAB, as Rust's u8::from_str_radix(&token[3..5], 16) accepts it.
std::optional<unsigned char> parse_byte_token(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (t[3] == '+') {
    const int lo = hex(t[4]);
    if (lo < 0) return std::nullopt;
    return static_cast<unsigned char>(lo);
  }
  const int hi = hex(t[3]);
  const int lo = hex(t[4]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<unsigned char>(hi * 16 + lo);
}

class ByteFallbackDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens, DecodeContext&) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string bytes;
    auto flush = [&] {
      if (bytes.empty()) return;
      if (utf8_is_valid(bytes)) {
        out.push_back(bytes);
      } else {
        // HF: one U+FFFD per byte of an invalid run, not per maximal subpart.
        for (size_t i = 0; i < bytes.size(); ++i) out.emplace_back(kReplacementChar);
      }
      bytes.clear();
    };
    for (std::string& t : tokens) {
      if (const auto b = parse_byte_token(t)) {
        bytes.push_back(static_cast<char>(*b));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
  bool is_byte_fallback_token(const std::string& token) const override {
    return parse_byte_token(token).has_value();
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens, DecodeContext& ctx) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
    ctx.fused = true;
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens, DecodeContext& ctx) const override {
    const size_t c = content_.size();
    for (std::string& t : tokens) {
      size_t b = 0;
      size_t e = t.size();
      // After Fuse the single token is the whole text; a continuation has no start to strip.
      const size_t n_start = ctx.fused && !ctx.first ? 0 : start_;
      for (size_t i = 0; i < n_start && e - b >= c && t.compare(b, c, content_) == 0; ++i) b += c;
      for (size_t i = 0; i < stop_ && e - b >= c && t.compare(e - c, c, content_) == 0; ++i) e -= c;
      t = t.substr(b, e - b);
    }
  }

 private:
  std::string content_;  // one character
  size_t start_, stop_;  // characters
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens, DecodeContext&) const override {
    for (std::string& t : tokens) t = pattern_.replace_all(t, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps)
      : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens, DecodeContext& ctx) const override {
    for (const auto& step : steps_) step->decode_chain(tokens, ctx);
  }
  bool is_byte_fallback_token(const std::string& token) const override {
    for (const auto& step : steps_) {
      if (step->is_byte_fallback_token(token)) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const nlohmann::json& json, const std::string& where) {
  if (json.is_null()) return nullptr;
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) {
    throw Error(where + ": expected an object with a \"type\"");
  }
  const std::string type = json["type"].get<std::string>();
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") {
    bool strip_first = json.value("add_prefix_space", true);
    if (json.contains("prepend_scheme") && json["prepend_scheme"].is_string()) {
      strip_first = json["prepend_scheme"].get<std::string>() != "never";
    }
    return std::make_unique<MetaspaceDecoder>(
        json.value("replacement", std::string("\xE2\x96\x81")), strip_first);
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    const std::string content = json.value("content", std::string(" "));
    const int64_t start = json.value("start", int64_t{0});
    const int64_t stop = json.value("stop", int64_t{0});
    if (start < 0 || stop < 0) throw Error(where + ": Strip start/stop must be >= 0");
    return std::make_unique<StripDecoder>(content, static_cast<size_t>(start),
                                          static_cast<size_t>(stop));
  }
  if (type == "Replace") {
    if (!json.contains("pattern")) throw Error(where + ".pattern: missing");
    if (!json.contains("content") || !json["content"].is_string()) {
      throw Error(where + ".content: expected a string");
    }
    return std::make_unique<ReplaceDecoder>(Pattern(json["pattern"], where + ".pattern"),
                                            json["content"].get<std::string>());
  }
  if (type == "Sequence") {
    if (!json.contains("decoders") || !json["decoders"].is_array()) {
      throw Error(where + ".decoders: expected an array");
    }
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < json["decoders"].size(); ++i) {
      auto step = make_decoder(json["decoders"][i], where + ".decoders[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  throw Error(where + ": decoder type '" + type + "' is not supported");
}

}  // namespace junction::tokenizer
