// The value model of the Jinja interpreter: Python-like none, bool, int, float, str, list/tuple,
// dict (insertion ordered, string keys), callables (builtins, bound methods, macros) and
// namespaces, plus jinja2's Undefined. Lists and dicts are immutable once built (the HF sandbox
// forbids mutating methods), which is what lets every container record its nesting depth.
// Namespaces are the one mutable container; see Namespace. Strings are immutable and shared:
// copying a Value never copies text, so `[s] * 1000000` or a loop over a list of long strings
// costs pointers, not a copy of `s` per item (the interpreter charges what is built; limits.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "chat/jinja/limits.h"

namespace junction::jinja {

class Value;
class Interpreter;
struct Array;
struct Object;
struct Callable;
struct Namespace;

// Deepest list/dict nesting a value may have; deeper values would make printing, comparison and
// destruction recurse without bound.
inline constexpr int kMaxNesting = 256;

struct Undefined {
  std::string name;  // what was looked up, for error messages
};

// Positional and keyword arguments of a call.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  // Argument `index` by position, or by `name` as keyword; nullptr if absent.
  const Value* get(size_t index, std::string_view name) const;
};

class Value {
 public:
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kArray,
    kObject,
    kCallable,
    kNamespace
  };

  Value() : v_(Undefined{}) {}
  static Value undefined(std::string name = {}) { return Value(Undefined{std::move(name)}); }
  static Value none() { return Value(nullptr); }
  Value(bool b) : v_(b) {}
  Value(int64_t i) : v_(i) {}
  Value(int i) : v_(static_cast<int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::make_shared<const std::string>(std::move(s))) {}
  Value(const char* s) : Value(std::string(s)) {}
  // Throws ValueError when the result would nest deeper than kMaxNesting.
  static Value array(std::vector<Value> items, bool is_tuple = false);
  static Value object(std::vector<std::pair<std::string, Value>> items);
  static Value callable(std::shared_ptr<const Callable> c) { return Value(std::move(c)); }
  static Value ns(std::shared_ptr<Namespace> n) { return Value(std::move(n)); }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  // Python's numbers.Number: bool counts.
  bool is_number() const { return is_bool() || is_int() || is_float(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }
  bool is_callable() const { return kind() == Kind::kCallable; }
  bool is_namespace() const { return kind() == Kind::kNamespace; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  // bool, int or float as a double / int (bool -> 0/1).
  double to_double() const;
  int64_t to_int() const;
  const std::string& as_string() const { return *std::get<std::shared_ptr<const std::string>>(v_); }
  const Array& as_array() const { return *std::get<std::shared_ptr<const Array>>(v_); }
  const Object& as_object() const { return *std::get<std::shared_ptr<const Object>>(v_); }
  const Callable& as_callable() const { return *std::get<std::shared_ptr<const Callable>>(v_); }
  Namespace& as_namespace() const { return *std::get<std::shared_ptr<Namespace>>(v_); }
  const std::string& undefined_name() const { return std::get<Undefined>(v_).name; }
  const void* identity() const;  // container address for `is sameas`, else nullptr

  // Nesting depth: 0 for scalars, 1 + deepest child for lists and dicts.
  int depth() const;

  // Python truthiness; undefined is false.
  bool truthy() const;
  // Python str(): what `{{ x }}` prints. Undefined prints as "". Throws ValueError when a list
  // or dict would print to more than kMaxStringBytes (a list of a million references to one
  // long string is small in memory and enormous in print).
  std::string str() const;
  // Python repr(): how items print inside a list or dict. Bounded like str().
  std::string repr() const;
  // Python type name, for error messages.
  std::string type_name() const;

 private:
  explicit Value(Undefined u) : v_(std::move(u)) {}
  explicit Value(std::nullptr_t) : v_(nullptr) {}
  explicit Value(std::shared_ptr<const Array> a) : v_(std::move(a)) {}
  explicit Value(std::shared_ptr<const Object> o) : v_(std::move(o)) {}
  explicit Value(std::shared_ptr<const Callable> c) : v_(std::move(c)) {}
  explicit Value(std::shared_ptr<Namespace> n) : v_(std::move(n)) {}

  std::variant<Undefined, std::nullptr_t, bool, int64_t, double, std::shared_ptr<const std::string>,
               std::shared_ptr<const Array>, std::shared_ptr<const Object>,
               std::shared_ptr<const Callable>, std::shared_ptr<Namespace>>
      v_;
};

struct Array {
  std::vector<Value> items;
  bool is_tuple = false;
  int depth = 1;
};

// Insertion-ordered string-keyed map.
class ObjectMap {
 public:
  const Value* find(std::string_view key) const;
  // Inserts or overwrites (keeping the first insertion's position, like a Python dict).
  void set(const std::string& key, Value value);
  const std::vector<std::pair<std::string, Value>>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  void clear() { items_.clear(), index_.clear(); }

 private:
  std::vector<std::pair<std::string, Value>> items_;
  std::unordered_map<std::string, size_t> index_;
};

struct Object {
  ObjectMap map;
  int depth = 1;
};

// jinja2's namespace(): attributes assignable with `{% set ns.attr = value %}`. Because a
// namespace can end up holding itself, the interpreter clears every namespace it created when a
// render ends, which breaks such reference cycles.
struct Namespace {
  ObjectMap attrs;
};

struct MacroDef;  // ast.h

// A builtin function, a bound method, or a macro. Macros run in the interpreter; builtins are
// plain functions of their arguments.
struct Callable {
  std::string name;
  std::function<Value(Interpreter&, CallArgs&)> builtin;
  const MacroDef* macro = nullptr;
  // For `caller` inside a call block: the scope the block was written in.
  std::shared_ptr<void> closure;
};

// Python ==, <, and the ordering used by sort/dictsort. compare() throws ValueError when the
// values are not orderable.
bool equal(const Value& a, const Value& b);
int compare(const Value& a, const Value& b);

// Python repr of a float ("1.0", "0.1", "1e+16") and of a str ('it\'s' -> "it's").
std::string float_repr(double d);
std::string string_repr(std::string_view s);

}  // namespace junction::jinja
