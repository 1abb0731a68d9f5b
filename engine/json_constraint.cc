#include "engine/json_constraint.h"

#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace junction {

using Kind = JsonSchema::Kind;

TokenTexts::TokenTexts(std::vector<std::string> texts) : texts_(std::move(texts)) {
  trie_.emplace_back();
  for (size_t id = 0; id < texts_.size(); ++id) {
    const std::string& t = texts_[id];
    if (t.empty()) continue;
    uint32_t node = 0;
    for (unsigned char c : t) {
      uint32_t next = 0;
      for (const auto& [byte, child] : trie_[node].children)
        if (byte == c) next = child;
      if (!next) {
        next = static_cast<uint32_t>(trie_.size());
        trie_[node].children.emplace_back(c, next);
        trie_.emplace_back();
      }
      node = next;
    }
    trie_[node].tokens.push_back(static_cast<int32_t>(id));
  }
}

// ---- schema compilation ----

namespace {

int add_node(JsonSchema& s, JsonSchema::Node n) {
  s.nodes.push_back(std::move(n));
  return static_cast<int>(s.nodes.size()) - 1;
}

void add_helpers(JsonSchema& s) {
  s.any = add_node(s, {Kind::kAny});
  s.any_object = add_node(s, {Kind::kAnyObject});
  JsonSchema::Node array{Kind::kArray};
  array.items = s.any;
  s.any_array = add_node(s, array);
  s.any_string = add_node(s, {Kind::kString});
  s.any_number = add_node(s, {Kind::kNumber});
  JsonSchema::Node tfn{Kind::kLiterals};
  tfn.literals = {"true", "false", "null"};
  s.true_false_null = add_node(s, tfn);
}

int64_t get_count(const nlohmann::ordered_json& j, const char* key, int64_t fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < 0)
    throw Error(std::string(key) + " must be a non-negative integer");
  return it->get<int64_t>();
}

// enum / const: the accepted values, as compact JSON texts.
int compile_literals(const nlohmann::ordered_json& j, JsonSchema& s) {
  JsonSchema::Node n{Kind::kLiterals};
  if (j.contains("const")) {
    n.literals.push_back(j["const"].dump());
  } else {
    if (!j["enum"].is_array() || j["enum"].empty()) throw Error("enum must be a non-empty array");
    for (const auto& v : j["enum"]) n.literals.push_back(v.dump());
  }
  if (n.literals.size() > 32) throw Error("enum has more than 32 values");
  return add_node(s, n);
}

int add_literals(JsonSchema& s, std::vector<std::string> literals) {
  JsonSchema::Node n{Kind::kLiterals};
  n.literals = std::move(literals);
  return add_node(s, n);
}

// The schema's type name: "type", else what properties or items imply; empty: any value.
std::string schema_type(const nlohmann::ordered_json& j) {
  if (auto it = j.find("type"); it != j.end()) {
    if (!it->is_string())
      throw Error("'type' must be a single type name (type lists are not supported)");
    return it->get<std::string>();
  }
  if (j.contains("properties")) return "object";
  if (j.contains("items")) return "array";
  return "";
}

int compile_node(const nlohmann::ordered_json& j, JsonSchema& s, int depth);

int compile_object(const nlohmann::ordered_json& j, JsonSchema& s, int depth) {
  auto props = j.find("properties");
  if (props == j.end() || props->empty()) return s.any_object;
  if (!props->is_object()) throw Error("'properties' must be an object");
  JsonSchema::Node n{Kind::kObject};
  for (const auto& [key, value] : props->items()) {
    const int child = compile_node(value, s, depth + 1);
    n.properties.emplace_back(nlohmann::json(key).dump() + ":", child);
  }
  return add_node(s, n);
}

int compile_array(const nlohmann::ordered_json& j, JsonSchema& s, int depth) {
  JsonSchema::Node n{Kind::kArray};
  n.items = j.contains("items") ? compile_node(j["items"], s, depth + 1) : s.any;
  n.min = get_count(j, "minItems", 0);
  n.max = get_count(j, "maxItems", -1);
  if (n.max >= 0 && n.max < n.min) throw Error("maxItems is below minItems");
  return add_node(s, n);
}

int compile_string(const nlohmann::ordered_json& j, JsonSchema& s) {
  JsonSchema::Node n{Kind::kString};
  n.min = get_count(j, "minLength", 0);
  n.max = get_count(j, "maxLength", -1);
  if (n.max >= 0 && n.max < n.min) throw Error("maxLength is below minLength");
  return add_node(s, n);
}

// Adds j's nodes (children first) and returns the index of its own.
int compile_node(const nlohmann::ordered_json& j, JsonSchema& s, int depth) {
  if (depth > 16) throw Error("the schema nests deeper than 16 levels");
  if (j.is_boolean() && j.get<bool>()) return s.any;
  if (!j.is_object()) throw Error("a schema must be an object");
  for (const char* key :
       {"$ref", "anyOf", "oneOf", "allOf", "not", "pattern", "patternProperties", "if"})
    if (j.contains(key)) throw Error(std::string("'") + key + "' is not supported");
  if (j.contains("enum") || j.contains("const")) return compile_literals(j, s);
  const std::string type = schema_type(j);
  if (type.empty()) return s.any;
  if (type == "object") return compile_object(j, s, depth);
  if (type == "array") return compile_array(j, s, depth);
  if (type == "string") return compile_string(j, s);
  if (type == "number") return add_node(s, {Kind::kNumber});
  if (type == "integer") return add_node(s, {Kind::kInteger});
  if (type == "boolean") return add_literals(s, {"true", "false"});
  if (type == "null") return add_literals(s, {"null"});
  throw Error("type '" + type + "' is not supported");
}

}  // namespace

std::shared_ptr<const JsonSchema> compile_json_schema(const nlohmann::ordered_json& schema) {
  auto s = std::make_shared<JsonSchema>();
  add_helpers(*s);
  s->root = compile_node(schema, *s, 0);
  if (s->root == s->any) s->root = s->any_object;
  const Kind k = s->nodes[s->root].kind;
  if (k != Kind::kObject && k != Kind::kAnyObject && k != Kind::kArray)
    throw Error("the root of the schema must be an object or an array");
  return s;
}

std::shared_ptr<const JsonSchema> any_json_object_schema() {
  auto s = std::make_shared<JsonSchema>();
  add_helpers(*s);
  s->root = s->any_object;
  return s;
}

// ---- matcher ----

JsonMatcher::JsonMatcher(std::shared_ptr<const JsonSchema> schema) : schema_(std::move(schema)) {}

JsonMatchState JsonMatcher::start() const {
  JsonMatchState s;
  push(s, schema_->root);
  return s;
}

bool JsonMatcher::push(JsonMatchState& s, int node) const {
  if (s.depth >= JsonMatchState::kMaxDepth) return false;
  const auto& n = schema_->nodes[node];
  uint32_t all = 0;
  if (n.kind == Kind::kLiterals)
    all = n.literals.size() >= 32 ? ~0u : (1u << n.literals.size()) - 1;
  s.frames[s.depth++] = {node, 0, 0, all};
  return true;
}

namespace {

bool is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}
bool is_hex(uint8_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

JsonMatchState::Frame& top(JsonMatchState& s) {
  return s.frames[s.depth - 1];
}
void pop(JsonMatchState& s) {
  --s.depth;
}

// Each node kind's phases (Frame::phase). Frame::a and Frame::b are per kind too; each
// feed_* function says what they hold.
enum StringPhase : uint8_t { kStringOpen, kStringChars, kStringEscape, kStringHex };
enum NumberPhase : uint8_t {
  kNumberStart,
  kNumberMinus,
  kNumberDigits,  // an integer part that does not start with 0
  kNumberZero,    // an integer part that is 0: no more digits
  kNumberDot,
  kNumberFraction,
  kNumberE,
  kNumberExponentSign,
  kNumberExponent,
};
enum ObjectPhase : uint8_t { kObjectOpen, kObjectKey, kObjectValue };
enum AnyObjectPhase : uint8_t {
  kAnyObjectOpen,
  kAnyObjectFirstKey,  // a key or '}'
  kAnyObjectColon,     // the key (a string frame) is done: ':' next
  kAnyObjectValue,     // the value is done: ',' or '}'
  kAnyObjectNextKey,   // after ',': a key only
};
enum ArrayPhase : uint8_t {
  kArrayOpen,
  kArrayFirstItem,  // an item or ']'
  kArrayItem,       // an item is done: ',' or ']'
  kArrayComma,      // after ',': an item only
};

// Continuation bytes a UTF-8 lead byte promises; -1: no valid character starts with it.
int utf8_continuations(uint8_t c) {
  if (c < 0x80) return 0;
  if (c >= 0xC2 && c <= 0xDF) return 1;
  if (c >= 0xE0 && c <= 0xEF) return 2;
  if (c >= 0xF0 && c <= 0xF4) return 3;
  return -1;
}

// One move of the JSON number grammar: the next phase (-1: c cannot extend the number), and
// whether the number may end before c.
struct NumberMove {
  int to;
  bool terminal;
};

NumberMove number_move(uint8_t phase, uint8_t c, bool real) {
  const bool digit = is_digit(c);
  const bool dot = real && c == '.';
  const bool e = c == 'e' || c == 'E';
  switch (phase) {
    case kNumberStart:
      return {c == '-' ? kNumberMinus : c == '0' ? kNumberZero : digit ? kNumberDigits : -1, false};
    case kNumberMinus:
      return {c == '0' ? kNumberZero : digit ? kNumberDigits : -1, false};
    case kNumberDigits:
      return {digit ? kNumberDigits : dot ? kNumberDot : (real && e) ? kNumberE : -1, true};
    case kNumberZero:
      return {dot ? kNumberDot : (real && e) ? kNumberE : -1, true};
    case kNumberDot:
      return {digit ? kNumberFraction : -1, false};
    case kNumberFraction:
      return {digit ? kNumberFraction : e ? kNumberE : -1, true};
    case kNumberE:
      return {(c == '+' || c == '-') ? kNumberExponentSign : digit ? kNumberExponent : -1, false};
    case kNumberExponentSign:
      return {digit ? kNumberExponent : -1, false};
    case kNumberExponent:
      return {digit ? kNumberExponent : -1, true};
  }
  return {-1, false};
}

}  // namespace

// A byte can close several values at once (the ',' after a number ends the number, then
// continues its array), so it passes down the stack until a frame takes or refuses it; the
// guard bounds that walk.
bool JsonMatcher::feed(JsonMatchState& s, uint8_t c) const {
  for (int guard = 0; guard < 2 * JsonMatchState::kMaxDepth + 4; ++guard) {
    if (s.depth == 0 || s.dead) return false;
    const Step step = feed_top(s, c);
    if (step != Step::kPassOn) return step == Step::kTaken;
  }
  return false;
}

JsonMatcher::Step JsonMatcher::feed_top(JsonMatchState& s, uint8_t c) const {
  const JsonSchema::Node& n = schema_->nodes[top(s).node];
  switch (n.kind) {
    case Kind::kAny:
      return feed_any(s, c);
    case Kind::kLiterals:
      return feed_literals(s, n, c);
    case Kind::kString:
      return feed_string(s, n, c);
    case Kind::kNumber:
    case Kind::kInteger:
      return feed_number(s, n, c);
    case Kind::kObject:
      return feed_object(s, n, c);
    case Kind::kAnyObject:
      return feed_any_object(s, c);
    case Kind::kArray:
      return feed_array(s, n, c);
  }
  return Step::kRefused;
}

// Any value: the first byte says which kind, and the frame becomes that kind's helper node.
JsonMatcher::Step JsonMatcher::feed_any(JsonMatchState& s, uint8_t c) const {
  const JsonSchema& schema = *schema_;
  int to;
  if (c == '{')
    to = schema.any_object;
  else if (c == '[')
    to = schema.any_array;
  else if (c == '"')
    to = schema.any_string;
  else if (c == '-' || is_digit(c))
    to = schema.any_number;
  else if (c == 't' || c == 'f' || c == 'n')
    to = schema.true_false_null;
  else
    return Step::kRefused;
  pop(s);
  return push(s, to) ? Step::kPassOn : Step::kRefused;
}

// a: bytes matched; b: bit i set while literal i still matches them. The frame pops as soon
// as no literal can go on, or, when one is complete and the next byte extends none, before
// that byte (which then belongs to the enclosing value).
JsonMatcher::Step JsonMatcher::feed_literals(JsonMatchState& s, const JsonSchema::Node& n,
                                             uint8_t c) const {
  JsonMatchState::Frame& f = top(s);
  uint32_t next = 0;
  bool some_complete = false;
  for (size_t i = 0; i < n.literals.size() && i < 32; ++i) {
    if (!((f.b >> i) & 1)) continue;
    const std::string& lit = n.literals[i];
    if (lit.size() == f.a)
      some_complete = true;
    else if (static_cast<uint8_t>(lit[f.a]) == c)
      next |= 1u << i;
  }
  if (next) {
    ++f.a;
    f.b = next;
    bool longer = false;
    for (size_t i = 0; i < n.literals.size() && i < 32; ++i)
      if (((next >> i) & 1) && n.literals[i].size() > f.a) longer = true;
    if (!longer) pop(s);
    return Step::kTaken;
  }
  if (some_complete && f.a > 0) {
    pop(s);
    return Step::kPassOn;
  }
  return Step::kRefused;
}

// a: characters so far (for minLength / maxLength); b: continuation bytes still due in a UTF-8
// character, or hex digits seen in a \u escape.
JsonMatcher::Step JsonMatcher::feed_string(JsonMatchState& s, const JsonSchema::Node& n,
                                           uint8_t c) const {
  JsonMatchState::Frame& f = top(s);
  switch (f.phase) {
    case kStringOpen:
      if (c != '"') return Step::kRefused;
      f.phase = kStringChars;
      return Step::kTaken;
    case kStringChars:
      return feed_string_char(s, n, c);
    case kStringEscape:
      if (c == 'u') {
        f.phase = kStringHex;
        f.b = 0;
        return Step::kTaken;
      }
      if (!std::strchr("\"\\/bfnrt", c) || c == 0) return Step::kRefused;
      f.phase = kStringChars;
      return Step::kTaken;
    default:  // kStringHex
      if (!is_hex(c)) return Step::kRefused;
      if (++f.b == 4) f.phase = kStringChars, f.b = 0;
      return Step::kTaken;
  }
}

// A byte between the quotes: the closing quote, a UTF-8 continuation, or a new character
// (a backslash starts an escape, which counts as one character).
JsonMatcher::Step JsonMatcher::feed_string_char(JsonMatchState& s, const JsonSchema::Node& n,
                                                uint8_t c) const {
  JsonMatchState::Frame& f = top(s);
  if (c == '"' && f.b == 0) {
    if (static_cast<int64_t>(f.a) < n.min) return Step::kRefused;
    pop(s);
    return Step::kTaken;
  }
  if (c < 0x20) return Step::kRefused;
  // Whole UTF-8 characters only.
  if (f.b > 0) {
    if ((c & 0xC0) != 0x80) return Step::kRefused;
    --f.b;
    return Step::kTaken;
  }
  if (n.max >= 0 && static_cast<int64_t>(f.a) >= n.max) return Step::kRefused;
  const int continuations = utf8_continuations(c);
  if (continuations < 0) return Step::kRefused;
  f.b = static_cast<uint32_t>(continuations);
  ++f.a;
  if (c == '\\') f.phase = kStringEscape;
  return Step::kTaken;
}

// a: bytes so far. A number has no closing byte: it ends when the next byte cannot extend it.
JsonMatcher::Step JsonMatcher::feed_number(JsonMatchState& s, const JsonSchema::Node& n,
                                           uint8_t c) const {
  JsonMatchState::Frame& f = top(s);
  const NumberMove move = number_move(f.phase, c, n.kind == Kind::kNumber);
  if (move.to >= 0) {
    if (++f.a > 16) return Step::kRefused;  // no endless numbers
    f.phase = static_cast<uint8_t>(move.to);
    return Step::kTaken;
  }
  if (!move.terminal) return Step::kRefused;
  pop(s);
  return Step::kPassOn;
}

// Every property, in declared order. b: the property; a: bytes of its "\"key\":" matched.
JsonMatcher::Step JsonMatcher::feed_object(JsonMatchState& s, const JsonSchema::Node& n,
                                           uint8_t c) const {
  JsonMatchState::Frame& f = top(s);
  switch (f.phase) {
    case kObjectOpen:
      if (c != '{') return Step::kRefused;
      f.phase = kObjectKey;
      return Step::kTaken;
    case kObjectKey: {
      const std::string& key = n.properties[f.b].first;
      if (static_cast<uint8_t>(key[f.a]) != c) return Step::kRefused;
      if (++f.a == key.size()) {
        f.phase = kObjectValue;
        return push(s, n.properties[f.b].second) ? Step::kTaken : Step::kRefused;
      }
      return Step::kTaken;
    }
    default:  // kObjectValue: the value is done
      if (f.b + 1 < n.properties.size()) {
        if (c != ',') return Step::kRefused;
        ++f.b;
        f.a = 0;
        f.phase = kObjectKey;
        return Step::kTaken;
      }
      if (c != '}') return Step::kRefused;
      pop(s);
      return Step::kTaken;
  }
}

// Any keys, any values: keys are any_string frames, values any frames.
JsonMatcher::Step JsonMatcher::feed_any_object(JsonMatchState& s, uint8_t c) const {
  JsonMatchState::Frame& f = top(s);
  switch (f.phase) {
    case kAnyObjectOpen:
      if (c != '{') return Step::kRefused;
      f.phase = kAnyObjectFirstKey;
      return Step::kTaken;
    case kAnyObjectFirstKey:
    case kAnyObjectNextKey:
      if (c == '}' && f.phase == kAnyObjectFirstKey) {
        pop(s);
        return Step::kTaken;
      }
      if (c != '"') return Step::kRefused;
      f.phase = kAnyObjectColon;
      return push(s, schema_->any_string) ? Step::kPassOn : Step::kRefused;
    case kAnyObjectColon:
      if (c != ':') return Step::kRefused;
      f.phase = kAnyObjectValue;
      return push(s, schema_->any) ? Step::kTaken : Step::kRefused;
    default:  // kAnyObjectValue
      if (c == ',') {
        f.phase = kAnyObjectNextKey;
        return Step::kTaken;
      }
      if (c != '}') return Step::kRefused;
      pop(s);
      return Step::kTaken;
  }
}

// a: items so far, counting the one in progress (for minItems / maxItems).
JsonMatcher::Step JsonMatcher::feed_array(JsonMatchState& s, const JsonSchema::Node& n,
                                          uint8_t c) const {
  JsonMatchState::Frame& f = top(s);
  switch (f.phase) {
    case kArrayOpen:
      if (c != '[') return Step::kRefused;
      f.phase = kArrayFirstItem;
      return Step::kTaken;
    case kArrayFirstItem:
      if (c == ']' && n.min == 0) {
        pop(s);
        return Step::kTaken;
      }
      if (n.max == 0) return Step::kRefused;
      f.phase = kArrayItem;
      f.a = 1;
      return push(s, n.items) ? Step::kPassOn : Step::kRefused;
    case kArrayItem:
      if (c == ',' && (n.max < 0 || static_cast<int64_t>(f.a) < n.max)) {
        f.phase = kArrayComma;
        return Step::kTaken;
      }
      if (c == ']' && static_cast<int64_t>(f.a) >= n.min) {
        pop(s);
        return Step::kTaken;
      }
      return Step::kRefused;
    default:  // kArrayComma
      f.phase = kArrayItem;
      ++f.a;
      return push(s, n.items) ? Step::kPassOn : Step::kRefused;
  }
}

bool JsonMatcher::feed(JsonMatchState& s, const std::string& bytes) const {
  for (unsigned char c : bytes)
    if (!feed(s, c)) return false;
  return true;
}

// ---- the token constraint ----

namespace {

// The output is `prefix`, then one JSON value the schema accepts, then `suffix`, then only
// end-of-sequence (a tool call is "<tool_call>\n" + {"name":...,"arguments":...} +
// "\n</tool_call>").
class JsonConstraint : public TokenConstraint {
 public:
  JsonConstraint(std::shared_ptr<const TokenTexts> texts, std::shared_ptr<const JsonSchema> schema,
                 std::vector<int32_t> eos, std::string prefix, std::string suffix)
      : texts_(std::move(texts)),
        matcher_(std::move(schema)),
        eos_(std::move(eos)),
        prefix_(std::move(prefix)),
        suffix_(std::move(suffix)) {
    state_.json = matcher_.start();
  }

  void mask(std::span<float> logits) override {
    const float kOff = -std::numeric_limits<float>::infinity();
    allowed_.assign(logits.size(), 0);
    bool any = false;
    if (!state_.json.dead && !done(state_)) walk(0, state_, any);
    if (!any)  // complete, or a dead end: only end-of-sequence
      for (int32_t id : eos_)
        if (id >= 0 && static_cast<size_t>(id) < logits.size()) allowed_[id] = 1;
    for (size_t i = 0; i < logits.size(); ++i)
      if (!allowed_[i]) logits[i] = kOff;
  }

  void accept(int32_t token) override {
    if (token < 0 || static_cast<size_t>(token) >= texts_->size()) return;
    for (char c : texts_->text(token))
      if (!feed(state_, static_cast<uint8_t>(c))) {
        state_.json.dead = true;
        return;
      }
  }

 private:
  struct State {
    uint32_t prefix = 0;  // bytes of the prefix matched
    JsonMatchState json;
    uint32_t suffix = 0;  // bytes of the suffix matched
  };

  bool done(const State& s) const {
    return s.prefix == prefix_.size() && JsonMatcher::complete(s.json) &&
           s.suffix == suffix_.size();
  }

  bool feed(State& s, uint8_t c) const {
    if (s.prefix < prefix_.size()) return static_cast<uint8_t>(prefix_[s.prefix++]) == c;
    if (!JsonMatcher::complete(s.json)) return matcher_.feed(s.json, c);
    if (s.suffix < suffix_.size()) return static_cast<uint8_t>(suffix_[s.suffix++]) == c;
    return false;
  }

  void walk(uint32_t node, const State& s, bool& any) {
    for (const auto& [byte, child] : texts_->trie()[node].children) {
      State t;
      t.prefix = s.prefix;
      t.suffix = s.suffix;
      t.json.depth = s.json.depth;
      t.json.dead = false;
      std::memcpy(t.json.frames, s.json.frames, sizeof(JsonMatchState::Frame) * s.json.depth);
      if (!feed(t, byte)) continue;
      for (int32_t id : texts_->trie()[child].tokens)
        if (static_cast<size_t>(id) < allowed_.size()) allowed_[id] = 1, any = true;
      if (!texts_->trie()[child].children.empty() && !done(t)) walk(child, t, any);
    }
  }

  std::shared_ptr<const TokenTexts> texts_;
  JsonMatcher matcher_;
  std::vector<int32_t> eos_;
  std::string prefix_, suffix_;
  State state_;
  std::vector<uint8_t> allowed_;
};

}  // namespace

std::unique_ptr<TokenConstraint> make_json_constraint(std::shared_ptr<const TokenTexts> texts,
                                                      std::shared_ptr<const JsonSchema> schema,
                                                      std::vector<int32_t> eos_ids,
                                                      std::string prefix, std::string suffix) {
  return std::make_unique<JsonConstraint>(std::move(texts), std::move(schema), std::move(eos_ids),
                                          std::move(prefix), std::move(suffix));
}

}  // namespace junction
