// Normalizer implementations; see normalizer.h.
#include "tokenizer/normalizer.h"

#include <cstdlib>
#include <vector>

#include <utf8proc.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/pattern.h"
#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

bool is_ascii(const std::string& s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(int options) : options_(options) {}
  void normalize(std::string& text) const override {
    // ASCII is invariant under every normalization form, and it is most of the input.
    if (is_ascii(text)) return;
    utf8proc_uint8_t* out = nullptr;
    // Length-delimited (no UTF8PROC_NULLTERM), so NUL characters pass through.
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                     static_cast<utf8proc_ssize_t>(text.size()), &out,
                     static_cast<utf8proc_option_t>(UTF8PROC_STABLE | options_));
    if (n >= 0) text.assign(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
    std::free(out);
  }

 private:
  int options_;
};

// Simple (one-to-one) case mapping; Rust's to_lowercase differs only for a handful of
// characters with multi-character lowercase forms (U+0130).
class Lowercase : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t n = utf8_valid_len(text, pos);
      if (n == 0) {  // cannot happen on sanitized input; keep the byte
        out.push_back(text[pos++]);
        continue;
      }
      const char32_t cp = utf8_decode(text, pos, n);
      utf8_append(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
      pos += n;
    }
    text = std::move(out);
  }
};

// Rust's char::is_whitespace (the Unicode White_Space property).
bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

class Strip : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t begin = 0;
    size_t end = text.size();
    if (left_) {
      while (begin < end) {
        const size_t n = utf8_valid_len(text, begin);
        if (n == 0 || !is_white_space(utf8_decode(text, begin, n))) break;
        begin += n;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        const size_t n = utf8_valid_len(text, start);
        if (n != end - start || !is_white_space(utf8_decode(text, start, n))) break;
        end = start;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class Replace : public Normalizer {
 public:
  Replace(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override { text = pattern_.replace_all(text, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

// HF Prepend/Append leave an empty string empty.
class Affix : public Normalizer {
 public:
  Affix(std::string affix, bool prepend) : affix_(std::move(affix)), prepend_(prepend) {}
  void normalize(std::string& text) const override {
    if (text.empty()) return;
    text = prepend_ ? affix_ + text : text + affix_;
  }

 private:
  std::string affix_;
  bool prepend_;
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(std::string& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

std::string string_field(const nlohmann::json& json, const char* key, const std::string& where) {
  if (!json.contains(key) || !json[key].is_string()) {
    throw Error(where + "." + key + ": expected a string");
  }
  return json[key].get<std::string>();
}

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& json, const std::string& where) {
  if (json.is_null()) return nullptr;
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) {
    throw Error(where + ": expected an object with a \"type\"");
  }
  const std::string type = json["type"].get<std::string>();
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(UTF8PROC_COMPOSE);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(UTF8PROC_DECOMPOSE);
  if (type == "NFKC") {
    return std::make_unique<UnicodeNormalizer>(UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
  }
  if (type == "NFKD") {
    return std::make_unique<UnicodeNormalizer>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  }
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Strip") {
    return std::make_unique<Strip>(json.value("strip_left", true), json.value("strip_right", true));
  }
  if (type == "Replace") {
    if (!json.contains("pattern")) throw Error(where + ".pattern: missing");
    return std::make_unique<Replace>(Pattern(json["pattern"], where + ".pattern"),
                                     string_field(json, "content", where));
  }
  if (type == "Prepend") {
    return std::make_unique<Affix>(string_field(json, "prepend", where), true);
  }
  if (type == "Append") return std::make_unique<Affix>(string_field(json, "append", where), false);
  if (type == "Sequence") {
    if (!json.contains("normalizers") || !json["normalizers"].is_array()) {
      throw Error(where + ".normalizers: expected an array");
    }
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < json["normalizers"].size(); ++i) {
      auto step = make_normalizer(json["normalizers"][i],
                                  where + ".normalizers[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<Sequence>(std::move(steps));
  }
  throw Error(where + ": normalizer type '" + type + "' is not supported");
}

}  // namespace junction::tokenizer
