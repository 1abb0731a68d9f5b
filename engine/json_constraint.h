// Constrained decoding for response_format json_object / json_schema: a pushdown matcher over
// output bytes, and a TokenConstraint that masks every token whose bytes the matcher would
// reject, so the output always parses (and matches the schema) unless max_tokens cuts it.
//
// Supported schema subset: type object (properties, required; every property is emitted, in
// declared order), array (items, minItems, maxItems), string (minLength, maxLength), number,
// integer, boolean, null, enum / const (any JSON values), and {} / absent type = any JSON
// value. The root must be an object or array. Output is compact JSON: no whitespace between
// tokens, which also rules out endless whitespace loops. Not supported (refused at compile):
// $ref, anyOf/oneOf/allOf, pattern, format, numeric ranges.
//
// Cost: each step walks a byte trie of the vocabulary (built once per model in TokenTexts)
// with the matcher state, pruning rejected prefixes; inside a string almost the whole trie is
// visited (a few ms per token on a 150k vocabulary).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "engine/request.h"

namespace junction {

// Every token's output bytes, and a trie over them. Built once per model at the HTTP edge.
class TokenTexts {
 public:
  // texts[id]: the bytes token id adds to the output; empty: never allowed under a constraint
  // (special tokens).
  explicit TokenTexts(std::vector<std::string> texts);
  size_t size() const { return texts_.size(); }
  const std::string& text(int32_t id) const { return texts_[id]; }

  struct Node {
    std::vector<std::pair<uint8_t, uint32_t>> children;  // byte -> node
    std::vector<int32_t> tokens;                         // tokens whose text ends here
  };
  const std::vector<Node>& trie() const { return trie_; }

 private:
  std::vector<std::string> texts_;
  std::vector<Node> trie_;  // node 0 is the root
};

// A compiled schema: a table of nodes, node 0 the root.
struct JsonSchema {
  enum class Kind { kAny, kAnyObject, kObject, kArray, kString, kNumber, kInteger, kLiterals };
  struct Node {
    Kind kind = Kind::kAny;
    std::vector<std::pair<std::string, int>>
        properties{};                     // object: "\"key\":" literal -> value node
    int items = -1;                       // array: item node
    std::vector<std::string> literals{};  // literals: compact JSON texts
    int64_t min = 0, max = -1;            // string length / array items; -1: none
  };
  std::vector<Node> nodes;
  int root = 0;
  // Helper nodes every schema has, for untyped values.
  int any = -1, any_object = -1, any_array = -1, any_string = -1, any_number = -1,
      true_false_null = -1;
};

// Throws junction::Error naming what is unsupported.
std::shared_ptr<const JsonSchema> compile_json_schema(const nlohmann::ordered_json& schema);
// response_format json_object: any JSON object.
std::shared_ptr<const JsonSchema> any_json_object_schema();

// The matcher's state: a stack of frames. Small and trivially copyable.
struct JsonMatchState {
  struct Frame {
    int32_t node;
    uint8_t phase;
    uint32_t a, b;
  };
  static constexpr int kMaxDepth = 24;
  Frame frames[kMaxDepth];
  int depth = 0;
  bool dead = false;
};

class JsonMatcher {
 public:
  explicit JsonMatcher(std::shared_ptr<const JsonSchema> schema);
  JsonMatchState start() const;
  // Advances by one output byte; false (state unspecified) if the byte is not allowed.
  bool feed(JsonMatchState& s, uint8_t c) const;
  bool feed(JsonMatchState& s, const std::string& bytes) const;
  // The value is complete: only end-of-sequence may follow.
  static bool complete(const JsonMatchState& s) { return s.depth == 0 && !s.dead; }

 private:
  // What the frame on top of the stack did with a byte.
  enum class Step {
    kTaken,    // consumed it
    kRefused,  // the byte is not allowed
    kPassOn,   // popped or pushed without consuming it: the new top frame gets the byte
  };
  bool push(JsonMatchState& s, int node) const;
  Step feed_top(JsonMatchState& s, uint8_t c) const;
  Step feed_any(JsonMatchState& s, uint8_t c) const;
  Step feed_literals(JsonMatchState& s, const JsonSchema::Node& n, uint8_t c) const;
  Step feed_string(JsonMatchState& s, const JsonSchema::Node& n, uint8_t c) const;
  Step feed_string_char(JsonMatchState& s, const JsonSchema::Node& n, uint8_t c) const;
  Step feed_number(JsonMatchState& s, const JsonSchema::Node& n, uint8_t c) const;
  Step feed_object(JsonMatchState& s, const JsonSchema::Node& n, uint8_t c) const;
  Step feed_any_object(JsonMatchState& s, uint8_t c) const;
  Step feed_array(JsonMatchState& s, const JsonSchema::Node& n, uint8_t c) const;
  std::shared_ptr<const JsonSchema> schema_;
};

// The output is `prefix`, one JSON value matching `schema`, `suffix`, then end-of-sequence.
std::unique_ptr<TokenConstraint> make_json_constraint(std::shared_ptr<const TokenTexts> texts,
                                                      std::shared_ptr<const JsonSchema> schema,
                                                      std::vector<int32_t> eos_ids,
                                                      std::string prefix = {},
                                                      std::string suffix = {});

}  // namespace junction
