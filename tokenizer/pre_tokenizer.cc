// Pre-tokenizer implementations; see pre_tokenizer.h. The splitting rules mirror HF's
// NormalizedString::split so that words (and therefore ids) match exactly.
#include "tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pattern.h"

namespace junction::tokenizer {
namespace {

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

using Range = std::pair<size_t, size_t>;

// Cuts `text` into ranges per `behavior`, given the match ranges; mirrors HF split(), including
// its quirk that a match following another match is not merged.
void split_ranges(size_t size, const std::vector<Range>& matches, Behavior behavior, bool invert,
                  std::vector<Range>& out) {
  std::vector<std::pair<Range, bool>> all;  // every byte covered, in order
  size_t prev = 0;
  for (const auto& [b, e] : matches) {
    if (prev != b) all.push_back({{prev, b}, invert});
    all.push_back({{b, e}, !invert});
    prev = e;
  }
  if (prev != size) all.push_back({{prev, size}, invert});

  std::vector<Range> res;
  switch (behavior) {
    case Behavior::kRemoved:
      for (const auto& [r, m] : all) {
        if (!m) res.push_back(r);
      }
      break;
    case Behavior::kIsolated:
      for (const auto& [r, m] : all) res.push_back(r);
      break;
    case Behavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const auto& [r, m] : all) {
        if (m && !previous_match && !res.empty()) {
          res.back().second = r.second;
        } else {
          res.push_back(r);
        }
        previous_match = m;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool previous_match = false;
      for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (it->second && !previous_match && !res.empty()) {
          res.back().first = it->first.first;
        } else {
          res.push_back(it->first);
        }
        previous_match = it->second;
      }
      std::reverse(res.begin(), res.end());
      break;
    }
    case Behavior::kContiguous: {
      bool previous_match = false;
      for (const auto& [r, m] : all) {
        if (m == previous_match && !res.empty()) {
          res.back().second = r.second;
        } else {
          res.push_back(r);
        }
        previous_match = m;
      }
      break;
    }
  }
  for (const Range& r : res) {
    if (r.first != r.second) out.push_back(r);
  }
}

void split_pieces(std::vector<Piece>& pieces, const Pattern& pattern, Behavior behavior,
                  bool invert) {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  std::vector<Range> matches, ranges;
  for (Piece& piece : pieces) {
    matches.clear();
    ranges.clear();
    pattern.find_all(piece.text, matches);
    split_ranges(piece.text.size(), matches, behavior, invert, ranges);
    for (const auto& [b, e] : ranges) {
      out.push_back({piece.text.substr(b, e - b), piece.at_start && b == 0});
    }
  }
  pieces = std::move(out);
}

Behavior parse_behavior(const nlohmann::json& json, const std::string& where) {
  const std::string s = json.is_string() ? json.get<std::string>() : "";
  if (s == "Removed") return Behavior::kRemoved;
  if (s == "Isolated") return Behavior::kIsolated;
  if (s == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::kMergedWithNext;
  if (s == "Contiguous") return Behavior::kContiguous;
  throw Error(where + ".behavior: unknown split behaviour '" + s + "'");
}

class Split : public PreTokenizer {
 public:
  Split(Pattern pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, pattern_, behavior_, invert_);
  }

 private:
  Pattern pattern_;
  Behavior behavior_;
  bool invert_;
};

constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevel : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        regex_(use_regex
                   ? std::make_unique<Pattern>(nlohmann::json{{"Regex", kGpt2Pattern}}, "ByteLevel")
                   : nullptr) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    if (add_prefix_space_) {
      for (Piece& p : pieces) {
        if (p.text.empty() || p.text[0] != ' ') p.text.insert(0, 1, ' ');
      }
    }
    if (regex_) split_pieces(pieces, *regex_, Behavior::kIsolated, false);
    std::string mapped;
    for (Piece& p : pieces) {
      mapped.clear();
      byte_level_encode(p.text, mapped);
      p.text.swap(mapped);
    }
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Pattern> regex_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

class Metaspace : public PreTokenizer {
 public:
  Metaspace(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)),
        scheme_(scheme),
        split_(split),
        pattern_(Pattern::literal(replacement_)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    static const Pattern kSpace = Pattern::literal(" ");
    for (Piece& p : pieces) {
      p.text = kSpace.replace_all(p.text, replacement_);
      const bool starts = p.text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts &&
          (scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && p.at_start))) {
        p.text.insert(0, replacement_);
      }
    }
    if (split_) split_pieces(pieces, pattern_, Behavior::kMergedWithNext, false);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  Pattern pattern_;
};

class Sequence : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

PrependScheme parse_prepend_scheme(const nlohmann::json& json, const std::string& where) {
  if (json.contains("prepend_scheme") && json["prepend_scheme"].is_string()) {
    const std::string s = json["prepend_scheme"].get<std::string>();
    if (s == "always") return PrependScheme::kAlways;
    if (s == "first") return PrependScheme::kFirst;
    if (s == "never") return PrependScheme::kNever;
    throw Error(where + ".prepend_scheme: unknown value '" + s + "'");
  }
  // Files written before tokenizers 0.19 only have add_prefix_space.
  return json.value("add_prefix_space", true) ? PrependScheme::kAlways : PrependScheme::kNever;
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& json,
                                                 const std::string& where) {
  if (json.is_null()) return nullptr;
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) {
    throw Error(where + ": expected an object with a \"type\"");
  }
  const std::string type = json["type"].get<std::string>();
  if (type == "Split") {
    if (!json.contains("pattern")) throw Error(where + ".pattern: missing");
    return std::make_unique<Split>(Pattern(json["pattern"], where + ".pattern"),
                                   parse_behavior(json.value("behavior", nlohmann::json()), where),
                                   json.value("invert", false));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevel>(json.value("add_prefix_space", true),
                                       json.value("use_regex", true));
  }
  if (type == "Metaspace") {
    std::string replacement = json.value("replacement", std::string("\xE2\x96\x81"));
    return std::make_unique<Metaspace>(std::move(replacement), parse_prepend_scheme(json, where),
                                       json.value("split", true));
  }
  if (type == "Digits") {
    const bool individual = json.value("individual_digits", false);
    return std::make_unique<Split>(Pattern(nlohmann::json{{"Regex", R"(\p{N})"}}, where),
                                   individual ? Behavior::kIsolated : Behavior::kContiguous, false);
  }
  if (type == "Whitespace") {
    return std::make_unique<Split>(Pattern(nlohmann::json{{"Regex", R"(\w+|[^\w\s]+)"}}, where),
                                   Behavior::kRemoved, true);
  }
  if (type == "WhitespaceSplit") {
    return std::make_unique<Split>(Pattern(nlohmann::json{{"Regex", R"(\s+)"}}, where),
                                   Behavior::kRemoved, false);
  }
  if (type == "Sequence") {
    if (!json.contains("pretokenizers") || !json["pretokenizers"].is_array()) {
      throw Error(where + ".pretokenizers: expected an array");
    }
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < json["pretokenizers"].size(); ++i) {
      auto step = make_pre_tokenizer(json["pretokenizers"][i],
                                     where + ".pretokenizers[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<Sequence>(std::move(steps));
  }
  throw Error(where + ": pre-tokenizer type '" + type + "' is not supported");
}

}  // namespace junction::tokenizer
