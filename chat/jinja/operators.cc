// Python operator semantics for Jinja expressions (see operators.h).
#include "chat/jinja/operators.h"

#include <cmath>

#include "chat/jinja/error.h"
#include "chat/jinja/format.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/pystr.h"

namespace junction::jinja {
namespace {

[[noreturn]] void type_error(const std::string& op, const Value& a, const Value& b) {
  if (a.is_undefined() || b.is_undefined()) {
    const Value& u = a.is_undefined() ? a : b;
    throw ValueError("'" +
                     (u.undefined_name().empty() ? std::string("value") : u.undefined_name()) +
                     "' is undefined");
  }
  throw ValueError("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" +
                   b.type_name() + "'");
}

int64_t add(int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_add_overflow(x, y, &r)) throw ValueError("integer overflow");
  return r;
}
int64_t sub(int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_sub_overflow(x, y, &r)) throw ValueError("integer overflow");
  return r;
}
int64_t mul(int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_mul_overflow(x, y, &r)) throw ValueError("integer overflow");
  return r;
}

bool is_intlike(const Value& v) {
  return v.is_int() || v.is_bool();
}

double py_fmod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

Value repeat(Interpreter& in, const Value& seq, int64_t n) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    if (!s.empty() && static_cast<uint64_t>(n) > in.limits().max_output_bytes / s.size())
      throw ValueError("string grows past the output limit");
    in.charge_bytes(s.size() * n);
    std::string out;
    out.reserve(s.size() * n);
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value(std::move(out));
  }
  const Array& a = seq.as_array();
  if (!a.items.empty() && static_cast<uint64_t>(n) > in.limits().max_items / a.items.size())
    throw ValueError("list grows past the item limit");
  in.check_items(a.items.size() * n);
  std::vector<Value> out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), a.items.begin(), a.items.end());
  return Value::array(std::move(out), a.is_tuple);
}

}  // namespace

Value unary_minus(const Value& v) {
  if (is_intlike(v)) {
    return Value(sub(0, v.to_int()));
  }
  if (v.is_float()) return Value(-v.as_float());
  if (v.is_undefined()) throw ValueError("'" + v.undefined_name() + "' is undefined");
  throw ValueError("bad operand type for unary -: '" + v.type_name() + "'");
}

Value binary_op(Interpreter& in, const std::string& op, const Value& a, const Value& b) {
  if (op == "~") {
    std::string s = a.str() + b.str();
    in.charge_bytes(s.size());
    return Value(std::move(s));
  }
  if (a.is_number() && b.is_number()) {
    bool ints = is_intlike(a) && is_intlike(b);
    if (ints) {
      int64_t x = a.to_int(), y = b.to_int();
      if (op == "+") return Value(add(x, y));
      if (op == "-") return Value(sub(x, y));
      if (op == "*") return Value(mul(x, y));
      if (op == "/") {
        if (y == 0) throw ValueError("division by zero");
        return Value(static_cast<double>(x) / static_cast<double>(y));
      }
      if (op == "//" || op == "%") {
        if (y == 0) throw ValueError("integer division or modulo by zero");
        if (x == INT64_MIN && y == -1) throw ValueError("integer overflow");
        int64_t q = x / y, m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) --q, m += y;
        return Value(op == "//" ? q : m);
      }
      if (op == "**") {
        if (y < 0) return Value(std::pow(static_cast<double>(x), static_cast<double>(y)));
        int64_t result = 1, base = x;
        while (y > 0) {
          if (y & 1) result = mul(result, base);
          y >>= 1;
          if (y > 0) base = mul(base, base);
        }
        return Value(result);
      }
    } else {
      double x = a.to_double(), y = b.to_double();
      if (op == "+") return Value(x + y);
      if (op == "-") return Value(x - y);
      if (op == "*") return Value(x * y);
      if (op == "/") {
        if (y == 0) throw ValueError("float division by zero");
        return Value(x / y);
      }
      if (op == "//") {
        if (y == 0) throw ValueError("float floor division by zero");
        return Value(std::floor(x / y));
      }
      if (op == "%") {
        if (y == 0) throw ValueError("float modulo");
        return Value(py_fmod(x, y));
      }
      if (op == "**") {
        if (x == 0 && y < 0) throw ValueError("0.0 cannot be raised to a negative power");
        return Value(std::pow(x, y));
      }
    }
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      in.charge_bytes(a.as_string().size() + b.as_string().size());
      return Value(a.as_string() + b.as_string());
    }
    if (a.is_array() && b.is_array() && a.as_array().is_tuple == b.as_array().is_tuple) {
      in.check_items(a.as_array().items.size() + b.as_array().items.size());
      std::vector<Value> items = a.as_array().items;
      items.insert(items.end(), b.as_array().items.begin(), b.as_array().items.end());
      return Value::array(std::move(items), a.as_array().is_tuple);
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_array()) && is_intlike(b)) return repeat(in, a, b.to_int());
    if ((b.is_string() || b.is_array()) && is_intlike(a)) return repeat(in, b, a.to_int());
  }
  if (op == "%" && a.is_string()) {
    std::string s = percent_format(a.as_string(), b);
    in.charge_bytes(s.size());
    return Value(std::move(s));
  }
  type_error(op, a, b);
}

bool contains(const Value& haystack, const Value& needle) {
  switch (haystack.kind()) {
    case Value::Kind::kString:
      if (!needle.is_string())
        throw ValueError("'in <string>' requires string as left operand, not " +
                         needle.type_name());
      return haystack.as_string().find(needle.as_string()) != std::string::npos;
    case Value::Kind::kArray:
      for (const Value& v : haystack.as_array().items) {
        if (equal(v, needle)) return true;
      }
      return false;
    case Value::Kind::kObject:
      return needle.is_string() && haystack.as_object().map.find(needle.as_string()) != nullptr;
    case Value::Kind::kUndefined:
      return false;
    default:
      throw ValueError("argument of type '" + haystack.type_name() + "' is not iterable");
  }
}

Value slice(const Value& seq, const Value& start_v, const Value& stop_v, const Value& step_v) {
  auto opt = [](const Value& v) -> std::optional<int64_t> {
    if (v.is_none() || v.is_undefined()) return std::nullopt;
    if (!v.is_int() && !v.is_bool()) throw ValueError("slice indices must be integers or None");
    return v.to_int();
  };
  std::optional<int64_t> start = opt(start_v), stop = opt(stop_v), step_o = opt(step_v);
  int64_t step = step_o.value_or(1);
  if (step == 0) throw ValueError("slice step cannot be zero");
  std::vector<size_t> offsets;
  int64_t n;
  if (seq.is_string()) {
    offsets = pystr::code_point_offsets(seq.as_string());
    n = static_cast<int64_t>(offsets.size()) - 1;
  } else if (seq.is_array()) {
    n = static_cast<int64_t>(seq.as_array().items.size());
  } else if (seq.is_undefined()) {
    throw ValueError("'" + seq.undefined_name() + "' is undefined");
  } else {
    throw ValueError("'" + seq.type_name() + "' object is not subscriptable");
  }
  // CPython's PySlice_AdjustIndices.
  auto adjust = [&](std::optional<int64_t> v, int64_t def) {
    if (!v) return def;
    int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= n) {
      x = step < 0 ? n - 1 : n;
    }
    return x;
  };
  int64_t b = adjust(start, step < 0 ? n - 1 : 0);
  int64_t e = adjust(stop, step < 0 ? -1 : n);
  std::vector<int64_t> idx;
  if (step > 0) {
    for (int64_t i = b; i < e; i += step) idx.push_back(i);
  } else {
    for (int64_t i = b; i > e; i += step) idx.push_back(i);
  }
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    std::string out;
    for (int64_t i : idx) out += s.substr(offsets[i], offsets[i + 1] - offsets[i]);
    return Value(std::move(out));
  }
  std::vector<Value> out;
  for (int64_t i : idx) out.push_back(seq.as_array().items[i]);
  return Value::array(std::move(out), seq.as_array().is_tuple);
}

}  // namespace junction::jinja
