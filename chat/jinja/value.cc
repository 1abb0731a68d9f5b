// Value: construction with depth tracking, Python truthiness, str/repr, equality and ordering.
#include "chat/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "chat/jinja/error.h"

namespace junction::jinja {

const Value* CallArgs::get(size_t index, std::string_view name) const {
  if (index < positional.size()) return &positional[index];
  for (const auto& [k, v] : keyword) {
    if (k == name) return &v;
  }
  return nullptr;
}

Value Value::array(std::vector<Value> items, bool is_tuple) {
  auto a = std::make_shared<Array>();
  int depth = 0;
  for (const Value& v : items) depth = std::max(depth, v.depth());
  if (depth + 1 > kMaxNesting)
    throw ValueError("value nests deeper than " + std::to_string(kMaxNesting));
  a->depth = depth + 1;
  a->items = std::move(items);
  a->is_tuple = is_tuple;
  return Value(std::shared_ptr<const Array>(std::move(a)));
}

Value Value::object(std::vector<std::pair<std::string, Value>> items) {
  auto o = std::make_shared<Object>();
  int depth = 0;
  for (auto& [k, v] : items) {
    depth = std::max(depth, v.depth());
    o->map.set(k, std::move(v));
  }
  if (depth + 1 > kMaxNesting)
    throw ValueError("value nests deeper than " + std::to_string(kMaxNesting));
  o->depth = depth + 1;
  return Value(std::shared_ptr<const Object>(std::move(o)));
}

double Value::to_double() const {
  switch (kind()) {
    case Kind::kBool:
      return as_bool() ? 1.0 : 0.0;
    case Kind::kInt:
      return static_cast<double>(as_int());
    case Kind::kFloat:
      return as_float();
    default:
      throw ValueError("expected a number, got " + type_name());
  }
}

int64_t Value::to_int() const {
  switch (kind()) {
    case Kind::kBool:
      return as_bool() ? 1 : 0;
    case Kind::kInt:
      return as_int();
    default:
      throw ValueError("expected an integer, got " + type_name());
  }
}

const void* Value::identity() const {
  switch (kind()) {
    case Kind::kArray:
      return &as_array();
    case Kind::kObject:
      return &as_object();
    case Kind::kCallable:
      return &as_callable();
    case Kind::kNamespace:
      return &as_namespace();
    default:
      return nullptr;
  }
}

int Value::depth() const {
  if (is_array()) return as_array().depth;
  if (is_object()) return as_object().depth;
  return 0;
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return as_bool();
    case Kind::kInt:
      return as_int() != 0;
    case Kind::kFloat:
      return as_float() != 0.0;
    case Kind::kString:
      return !as_string().empty();
    case Kind::kArray:
      return !as_array().items.empty();
    case Kind::kObject:
      return as_object().map.size() != 0;
    case Kind::kCallable:
    case Kind::kNamespace:
      return true;
  }
  return false;
}

std::string Value::type_name() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kArray:
      return as_array().is_tuple ? "tuple" : "list";
    case Kind::kObject:
      return "dict";
    case Kind::kCallable:
      return "function";
    case Kind::kNamespace:
      return "Namespace";
  }
  return "?";
}

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0.0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // "-d.ddde+XX"
  std::string sign;
  if (sci[0] == '-') sign = "-", sci.erase(0, 1);
  size_t e = sci.find('e');
  int exp10 = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  int decpt = exp10 + 1;  // value = 0.digits * 10^decpt
  std::string out;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out = "0." + std::string(-decpt, '0') + digits;
    } else if (static_cast<size_t>(decpt) >= digits.size()) {
      out = digits + std::string(decpt - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, decpt) + "." + digits.substr(decpt);
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof(eb), "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    out += eb;
  }
  return sign + out;
}

std::string string_repr(std::string_view s) {
  char quote = '\'';
  if (s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos) quote = '"';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

namespace {

// `out += piece`, or ValueError once the result would pass kMaxStringBytes.
void append_bounded(std::string& out, std::string_view piece) {
  if (piece.size() > kMaxStringBytes - std::min(out.size(), kMaxStringBytes))
    throw ValueError("a value prints to more than " + std::to_string(kMaxStringBytes) + " bytes");
  out += piece;
}

}  // namespace

std::string Value::str() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "";
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return as_bool() ? "True" : "False";
    case Kind::kInt:
      return std::to_string(as_int());
    case Kind::kFloat:
      return float_repr(as_float());
    case Kind::kString:
      return as_string();
    case Kind::kArray: {
      const Array& a = as_array();
      std::string out = a.is_tuple ? "(" : "[";
      for (size_t i = 0; i < a.items.size(); ++i) {
        if (i) out += ", ";
        append_bounded(out, a.items[i].repr());
      }
      if (a.is_tuple && a.items.size() == 1) out += ",";
      out += a.is_tuple ? ")" : "]";
      return out;
    }
    case Kind::kObject: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : as_object().map.items()) {
        if (!first) out += ", ";
        first = false;
        append_bounded(out, string_repr(k) + ": " + v.repr());
      }
      return out + "}";
    }
    case Kind::kCallable:
      return "<function " + as_callable().name + ">";
    case Kind::kNamespace:
      return "<Namespace>";
  }
  return "";
}

std::string Value::repr() const {
  if (is_string()) return string_repr(as_string());
  if (is_undefined()) return "Undefined";
  return str();
}

const Value* ObjectMap::find(std::string_view key) const {
  if (items_.size() <= 8) {
    for (const auto& kv : items_) {
      if (kv.first == key) return &kv.second;
    }
    return nullptr;
  }
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &items_[it->second].second;
}

void ObjectMap::set(const std::string& key, Value value) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    items_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(key, items_.size());
  items_.emplace_back(key, std::move(value));
}

bool equal(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.to_double() == b.to_double();
    return a.to_int() == b.to_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::kUndefined:
    case K::kNone:
      return true;
    case K::kString:
      return a.as_string() == b.as_string();
    case K::kArray: {
      const auto& x = a.as_array().items;
      const auto& y = b.as_array().items;
      if (x.size() != y.size() || a.as_array().is_tuple != b.as_array().is_tuple) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!equal(x[i], y[i])) return false;
      }
      return true;
    }
    case K::kObject: {
      const auto& x = a.as_object().map;
      const auto& y = b.as_object().map;
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x.items()) {
        const Value* o = y.find(k);
        if (!o || !equal(v, *o)) return false;
      }
      return true;
    }
    default:
      return a.identity() == b.identity();
  }
}

int compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      double x = a.to_double(), y = b.to_double();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    int64_t x = a.to_int(), y = b.to_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.as_string().compare(b.as_string());  // UTF-8 byte order is code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_array() && b.is_array()) {
    const auto& x = a.as_array().items;
    const auto& y = b.as_array().items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equal(x[i], y[i])) return compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  throw ValueError("'<' not supported between instances of '" + a.type_name() + "' and '" +
                   b.type_name() + "'");
}

}  // namespace junction::jinja
