// JSON conversion and Python-compatible json.dumps (see json.h).
#include "chat/jinja/json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "chat/jinja/error.h"

namespace junction::jinja {
namespace {

Value from_json_at(const nlohmann::ordered_json& j, int depth) {
  if (depth > kMaxNesting)
    throw ValueError("JSON nests deeper than " + std::to_string(kMaxNesting));
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value::none();
    case nlohmann::ordered_json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& x : j) items.push_back(from_json_at(x, depth + 1));
      return Value::array(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      std::vector<std::pair<std::string, Value>> items;
      items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it)
        items.emplace_back(it.key(), from_json_at(it.value(), depth + 1));
      return Value::object(std::move(items));
    }
    default:
      throw ValueError("unsupported JSON value");
  }
}

void escape_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

[[noreturn]] void too_long() {
  throw ValueError("tojson output grows past " + std::to_string(kMaxStringBytes) + " bytes");
}

// Checked before each value is written, so the text passes kMaxStringBytes by at most one
// separator and one value (a string, itself checked before it is escaped).
void dump(std::string& out, const Value& v, const DumpOptions& o, int level) {
  if (out.size() > kMaxStringBytes) too_long();
  const std::string& item_sep =
      o.custom_item_separator ? o.item_separator : (o.indent >= 0 ? "," : ", ");
  auto newline = [&](int lvl) {
    if (o.indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(o.indent) * lvl, ' ');
  };
  switch (v.kind()) {
    case Value::Kind::kNone:
      out += "null";
      return;
    case Value::Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::kInt:
      out += std::to_string(v.as_int());
      return;
    case Value::Kind::kFloat: {
      double d = v.as_float();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d < 0 ? "-Infinity" : "Infinity";
      else
        out += float_repr(d);
      return;
    }
    case Value::Kind::kString:
      if (v.as_string().size() > kMaxStringBytes - out.size()) too_long();
      escape_string(out, v.as_string());
      return;
    case Value::Kind::kArray: {
      const auto& items = v.as_array().items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        newline(level + 1);
        dump(out, items[i], o, level + 1);
      }
      newline(level);
      out += ']';
      return;
    }
    case Value::Kind::kObject: {
      std::vector<const std::pair<std::string, Value>*> items;
      for (const auto& kv : v.as_object().map.items()) items.push_back(&kv);
      if (items.empty()) {
        out += "{}";
        return;
      }
      if (o.sort_keys)
        std::stable_sort(items.begin(), items.end(),
                         [](auto* a, auto* b) { return a->first < b->first; });
      out += '{';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        newline(level + 1);
        escape_string(out, items[i]->first);
        out += o.key_separator;
        dump(out, items[i]->second, o, level + 1);
      }
      newline(level);
      out += '}';
      return;
    }
    default:
      throw ValueError("Object of type " + v.type_name() + " is not JSON serializable");
  }
}

}  // namespace

Value from_json(const nlohmann::ordered_json& j) {
  return from_json_at(j, 0);
}

nlohmann::ordered_json to_json(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNone:
      return nullptr;
    case Value::Kind::kBool:
      return v.as_bool();
    case Value::Kind::kInt:
      return v.as_int();
    case Value::Kind::kFloat:
      return v.as_float();
    case Value::Kind::kString:
      return v.as_string();
    case Value::Kind::kArray: {
      auto j = nlohmann::ordered_json::array();
      for (const Value& x : v.as_array().items) j.push_back(to_json(x));
      return j;
    }
    case Value::Kind::kObject: {
      auto j = nlohmann::ordered_json::object();
      for (const auto& [k, x] : v.as_object().map.items()) j[k] = to_json(x);
      return j;
    }
    default:
      throw ValueError("Object of type " + v.type_name() + " is not JSON serializable");
  }
}

std::string python_json_dumps(const Value& v, const DumpOptions& options) {
  std::string out;
  dump(out, v, options, 0);
  return out;
}

}  // namespace junction::jinja
