// Jinja's builtin tests (`x is defined`, `n is divisibleby 3`, ...) as jinja2 3.1 defines them.
#include <unordered_map>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/operators.h"

namespace junction::jinja {
namespace {

const Value& need_arg(const CallArgs& a, const char* test) {
  const Value* v = a.get(0, "value");
  if (!v) v = a.get(0, "other");
  if (!v) v = a.get(0, "num");
  if (!v) throw ValueError(std::string("test '") + test + "' needs an argument");
  return *v;
}

bool t_defined(Interpreter&, const Value& v, CallArgs&) {
  return !v.is_undefined();
}
bool t_undefined(Interpreter&, const Value& v, CallArgs&) {
  return v.is_undefined();
}
bool t_none(Interpreter&, const Value& v, CallArgs&) {
  return v.is_none();
}
bool t_string(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string();
}
bool t_number(Interpreter&, const Value& v, CallArgs&) {
  return v.is_number();
}
bool t_integer(Interpreter&, const Value& v, CallArgs&) {
  return v.is_int();
}
bool t_float(Interpreter&, const Value& v, CallArgs&) {
  return v.is_float();
}
bool t_mapping(Interpreter&, const Value& v, CallArgs&) {
  return v.is_object();
}
bool t_iterable(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() || v.is_array() || v.is_object() || v.is_undefined();
}
bool t_sequence(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() || v.is_array() || v.is_object() || v.is_undefined();
}
bool t_boolean(Interpreter&, const Value& v, CallArgs&) {
  return v.is_bool();
}
bool t_true(Interpreter&, const Value& v, CallArgs&) {
  return v.is_bool() && v.as_bool();
}
bool t_false(Interpreter&, const Value& v, CallArgs&) {
  return v.is_bool() && !v.as_bool();
}
bool t_callable(Interpreter&, const Value& v, CallArgs&) {
  return v.is_callable();
}

int64_t integer_of(const Value& v, const char* test) {
  if (v.is_int() || v.is_bool()) return v.to_int();
  if (v.is_float() && v.as_float() == static_cast<double>(static_cast<int64_t>(v.as_float())))
    return static_cast<int64_t>(v.as_float());
  throw ValueError(std::string("test '") + test + "' needs an integer, got " + v.type_name());
}

int64_t py_mod(int64_t a, int64_t b) {
  if (b == 0) throw ValueError("integer division or modulo by zero");
  if (b == -1) return 0;
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

bool t_even(Interpreter&, const Value& v, CallArgs&) {
  return py_mod(integer_of(v, "even"), 2) == 0;
}
bool t_odd(Interpreter&, const Value& v, CallArgs&) {
  return py_mod(integer_of(v, "odd"), 2) == 1;
}
bool t_divisibleby(Interpreter&, const Value& v, CallArgs& a) {
  return py_mod(integer_of(v, "divisibleby"),
                integer_of(need_arg(a, "divisibleby"), "divisibleby")) == 0;
}
bool t_eq(Interpreter&, const Value& v, CallArgs& a) {
  return equal(v, need_arg(a, "eq"));
}
bool t_ne(Interpreter&, const Value& v, CallArgs& a) {
  return !equal(v, need_arg(a, "ne"));
}
bool t_lt(Interpreter&, const Value& v, CallArgs& a) {
  return compare(v, need_arg(a, "lt")) < 0;
}
bool t_le(Interpreter&, const Value& v, CallArgs& a) {
  return compare(v, need_arg(a, "le")) <= 0;
}
bool t_gt(Interpreter&, const Value& v, CallArgs& a) {
  return compare(v, need_arg(a, "gt")) > 0;
}
bool t_ge(Interpreter&, const Value& v, CallArgs& a) {
  return compare(v, need_arg(a, "ge")) >= 0;
}
bool t_in(Interpreter&, const Value& v, CallArgs& a) {
  return contains(need_arg(a, "in"), v);
}

// Python `is`: identity. Scalars of the same type compare by value (CPython caches small ints,
// None, True and False; equal strings are not reliably identical, so they count as the same here).
bool t_sameas(Interpreter&, const Value& v, CallArgs& a) {
  const Value& o = need_arg(a, "sameas");
  if (v.kind() != o.kind()) return false;
  if (v.identity() || o.identity()) return v.identity() == o.identity();
  return equal(v, o);
}

bool t_lower(Interpreter&, const Value& v, CallArgs&) {
  if (!v.is_string()) return false;
  bool cased = false;
  for (char c : v.as_string()) {
    if (c >= 'A' && c <= 'Z') return false;
    if (c >= 'a' && c <= 'z') cased = true;
  }
  return cased;
}

bool t_upper(Interpreter&, const Value& v, CallArgs&) {
  if (!v.is_string()) return false;
  bool cased = false;
  for (char c : v.as_string()) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') cased = true;
  }
  return cased;
}

bool t_escaped(Interpreter&, const Value&, CallArgs&) {
  return false;
}  // no Markup
bool t_filter(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() && find_filter(v.as_string()) != nullptr;
}
bool t_test(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() && find_test(v.as_string()) != nullptr;
}

const std::unordered_map<std::string_view, TestFn>& table() {
  static const std::unordered_map<std::string_view, TestFn> t = {
      {"defined", t_defined},
      {"undefined", t_undefined},
      {"none", t_none},
      {"string", t_string},
      {"number", t_number},
      {"integer", t_integer},
      {"float", t_float},
      {"mapping", t_mapping},
      {"iterable", t_iterable},
      {"sequence", t_sequence},
      {"boolean", t_boolean},
      {"true", t_true},
      {"false", t_false},
      {"callable", t_callable},
      {"even", t_even},
      {"odd", t_odd},
      {"divisibleby", t_divisibleby},
      {"equalto", t_eq},
      {"eq", t_eq},
      {"==", t_eq},
      {"ne", t_ne},
      {"!=", t_ne},
      {"lt", t_lt},
      {"lessthan", t_lt},
      {"<", t_lt},
      {"le", t_le},
      {"<=", t_le},
      {"gt", t_gt},
      {"greaterthan", t_gt},
      {">", t_gt},
      {"ge", t_ge},
      {">=", t_ge},
      {"in", t_in},
      {"sameas", t_sameas},
      {"lower", t_lower},
      {"upper", t_upper},
      {"filter", t_filter},
      {"test", t_test},
      {"escaped", t_escaped},
  };
  return t;
}

}  // namespace

TestFn find_test(std::string_view name) {
  auto it = table().find(name);
  return it == table().end() ? nullptr : it->second;
}

}  // namespace junction::jinja
