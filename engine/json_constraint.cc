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

int compile_node(const nlohmann::ordered_json& j, JsonSchema& s, int depth) {
  if (depth > 16) throw Error("the schema nests deeper than 16 levels");
  if (j.is_boolean() && j.get<bool>()) return s.any;
  if (!j.is_object()) throw Error("a schema must be an object");
  for (const char* key :
       {"$ref", "anyOf", "oneOf", "allOf", "not", "pattern", "patternProperties", "if"})
    if (j.contains(key)) throw Error(std::string("'") + key + "' is not supported");
  if (j.contains("enum") || j.contains("const")) {
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
  std::string type;
  if (auto it = j.find("type"); it != j.end()) {
    if (!it->is_string())
      throw Error("'type' must be a single type name (type lists are not supported)");
    type = it->get<std::string>();
  } else if (j.contains("properties")) {
    type = "object";
  } else if (j.contains("items")) {
    type = "array";
  }
  if (type.empty()) return s.any;
  if (type == "object") {
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
  if (type == "array") {
    JsonSchema::Node n{Kind::kArray};
    n.items = j.contains("items") ? compile_node(j["items"], s, depth + 1) : s.any;
    n.min = get_count(j, "minItems", 0);
    n.max = get_count(j, "maxItems", -1);
    if (n.max >= 0 && n.max < n.min) throw Error("maxItems is below minItems");
    return add_node(s, n);
  }
  if (type == "string") {
    JsonSchema::Node n{Kind::kString};
    n.min = get_count(j, "minLength", 0);
    n.max = get_count(j, "maxLength", -1);
    if (n.max >= 0 && n.max < n.min) throw Error("maxLength is below minLength");
    return add_node(s, n);
  }
  if (type == "number") return add_node(s, {Kind::kNumber});
  if (type == "integer") return add_node(s, {Kind::kInteger});
  JsonSchema::Node lit{Kind::kLiterals};
  if (type == "boolean") {
    lit.literals = {"true", "false"};
    return add_node(s, lit);
  }
  if (type == "null") {
    lit.literals = {"null"};
    return add_node(s, lit);
  }
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

static bool is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}
static bool is_hex(uint8_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool JsonMatcher::feed(JsonMatchState& s, uint8_t c) const {
  const JsonSchema& schema = *schema_;
  for (int guard = 0; guard < 2 * JsonMatchState::kMaxDepth + 4; ++guard) {
    if (s.depth == 0 || s.dead) return false;
    JsonMatchState::Frame& f = s.frames[s.depth - 1];
    const JsonSchema::Node& n = schema.nodes[f.node];
    auto pop = [&] { --s.depth; };
    auto retarget = [&](int node) {
      --s.depth;
      return push(s, node);
    };
    switch (n.kind) {
      case Kind::kAny: {
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
          return false;
        if (!retarget(to)) return false;
        continue;
      }
      case Kind::kLiterals: {
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
          if (!longer) pop();
          return true;
        }
        if (some_complete && f.a > 0) {
          pop();
          continue;
        }
        return false;
      }
      case Kind::kString:
        switch (f.phase) {
          case 0:
            if (c != '"') return false;
            f.phase = 1;
            return true;
          case 1:
            if (c == '"' && f.b == 0) {
              if (static_cast<int64_t>(f.a) < n.min) return false;
              pop();
              return true;
            }
            if (c < 0x20) return false;
            // Whole UTF-8 characters only: b counts the continuation bytes still due.
            if (f.b > 0) {
              if ((c & 0xC0) != 0x80) return false;
              --f.b;
              return true;
            }
            if (n.max >= 0 && static_cast<int64_t>(f.a) >= n.max) return false;
            if (c >= 0x80) {
              if (c >= 0xC2 && c <= 0xDF)
                f.b = 1;
              else if (c >= 0xE0 && c <= 0xEF)
                f.b = 2;
              else if (c >= 0xF0 && c <= 0xF4)
                f.b = 3;
              else
                return false;
            }
            ++f.a;
            if (c == '\\') f.phase = 2;
            return true;
          case 2:
            if (c == 'u') {
              f.phase = 3;
              f.b = 0;
              return true;
            }
            if (!std::strchr("\"\\/bfnrt", c) || c == 0) return false;
            f.phase = 1;
            return true;
          default:
            if (!is_hex(c)) return false;
            if (++f.b == 4) f.phase = 1, f.b = 0;
            return true;
        }
      case Kind::kNumber:
      case Kind::kInteger: {
        const bool real = n.kind == Kind::kNumber;
        const bool digit = is_digit(c);
        int to = -1;
        bool terminal = false;
        switch (f.phase) {
          case 0:
            to = c == '-' ? 1 : c == '0' ? 3 : digit ? 2 : -1;
            break;
          case 1:
            to = c == '0' ? 3 : digit ? 2 : -1;
            break;
          case 2:
            to = digit ? 2 : (real && c == '.') ? 4 : (real && (c == 'e' || c == 'E')) ? 6 : -1;
            terminal = true;
            break;
          case 3:
            to = (real && c == '.') ? 4 : (real && (c == 'e' || c == 'E')) ? 6 : -1;
            terminal = true;
            break;
          case 4:
            to = digit ? 5 : -1;
            break;
          case 5:
            to = digit ? 5 : (c == 'e' || c == 'E') ? 6 : -1;
            terminal = true;
            break;
          case 6:
            to = (c == '+' || c == '-') ? 7 : digit ? 8 : -1;
            break;
          case 7:
            to = digit ? 8 : -1;
            break;
          case 8:
            to = digit ? 8 : -1;
            terminal = true;
            break;
        }
        if (to >= 0) {
          if (++f.a > 16) return false;  // no endless numbers
          f.phase = static_cast<uint8_t>(to);
          return true;
        }
        if (!terminal) return false;
        pop();
        continue;
      }
      case Kind::kObject:
        switch (f.phase) {
          case 0:
            if (c != '{') return false;
            f.phase = 1;
            return true;
          case 1: {
            const std::string& key = n.properties[f.b].first;
            if (static_cast<uint8_t>(key[f.a]) != c) return false;
            if (++f.a == key.size()) {
              f.phase = 2;
              return push(s, n.properties[f.b].second);
            }
            return true;
          }
          default:
            if (f.b + 1 < n.properties.size()) {
              if (c != ',') return false;
              ++f.b;
              f.a = 0;
              f.phase = 1;
              return true;
            }
            if (c != '}') return false;
            pop();
            return true;
        }
      case Kind::kAnyObject:
        switch (f.phase) {
          case 0:
            if (c != '{') return false;
            f.phase = 1;
            return true;
          case 1:
          case 4:
            if (c == '}' && f.phase == 1) {
              pop();
              return true;
            }
            if (c != '"') return false;
            f.phase = 2;
            if (!push(s, schema.any_string)) return false;
            continue;
          case 2:
            if (c != ':') return false;
            f.phase = 3;
            return push(s, schema.any);
          default:
            if (c == ',') {
              f.phase = 4;
              return true;
            }
            if (c != '}') return false;
            pop();
            return true;
        }
      case Kind::kArray:
        switch (f.phase) {
          case 0:
            if (c != '[') return false;
            f.phase = 1;
            return true;
          case 1:
            if (c == ']' && n.min == 0) {
              pop();
              return true;
            }
            if (n.max == 0) return false;
            f.phase = 2;
            f.a = 1;
            if (!push(s, n.items)) return false;
            continue;
          case 2:
            if (c == ',' && (n.max < 0 || static_cast<int64_t>(f.a) < n.max)) {
              f.phase = 3;
              return true;
            }
            if (c == ']' && static_cast<int64_t>(f.a) >= n.min) {
              pop();
              return true;
            }
            return false;
          default:
            f.phase = 2;
            ++f.a;
            if (!push(s, n.items)) return false;
            continue;
        }
    }
  }
  return false;
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
