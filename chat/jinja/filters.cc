// Jinja's builtin filters as jinja2 3.1 defines them, plus HF's tojson (json.dumps with
// ensure_ascii=False). Each takes the input value and the call's arguments.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"
#include "chat/jinja/format.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/json.h"
#include "chat/jinja/operators.h"
#include "chat/jinja/pystr.h"

namespace junction::jinja {
namespace {

const Value* arg(const CallArgs& a, size_t i, std::string_view name) {
  return a.get(i, name);
}

bool arg_bool(const CallArgs& a, size_t i, std::string_view name, bool def) {
  const Value* v = a.get(i, name);
  return v ? v->truthy() : def;
}

std::string arg_str(const CallArgs& a, size_t i, std::string_view name, const std::string& def) {
  const Value* v = a.get(i, name);
  return v && !v->is_none() ? v->str() : def;
}

const std::string& need_string(const Value& v, const char* filter) {
  if (!v.is_string())
    throw ValueError(std::string("filter '") + filter + "' expects a string, got " + v.type_name());
  return v.as_string();
}

// Follows a dotted attribute path ("a.b", "0") like jinja's make_attrgetter.
Value attr_path(const Value& v, const Value& attribute) {
  if (attribute.is_int()) return get_item(v, attribute);
  Value cur = v;
  std::string path = attribute.str();
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    if (cur.is_undefined()) return cur;
    cur = numeric && cur.is_array() ? get_item(cur, Value(static_cast<int64_t>(std::stoll(part))))
                                    : get_item(cur, Value(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

// Sort key: lower-cased strings unless case_sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(pystr::lower(v.as_string()));
  return v;
}

Value f_tojson(Interpreter& in, const Value& v, CallArgs& a) {
  DumpOptions o;
  if (const Value* indent = arg(a, 0, "indent"); indent && !indent->is_none())
    o.indent = static_cast<int>(std::clamp<int64_t>(indent->to_int(), 0, 64));
  o.sort_keys = arg_bool(a, 99, "sort_keys", false);
  if (const Value* sep = arg(a, 99, "separators");
      sep && sep->is_array() && sep->as_array().items.size() == 2) {
    o.custom_item_separator = true;
    o.item_separator = sep->as_array().items[0].str();
    o.key_separator = sep->as_array().items[1].str();
  }
  std::string s = python_json_dumps(v, o);
  in.charge_bytes(s.size());
  return Value(std::move(s));
}

Value f_length(Interpreter&, const Value& v, CallArgs&) {
  switch (v.kind()) {
    case Value::Kind::kString:
      return Value(static_cast<int64_t>(pystr::length(v.as_string())));
    case Value::Kind::kArray:
      return Value(static_cast<int64_t>(v.as_array().items.size()));
    case Value::Kind::kObject:
      return Value(static_cast<int64_t>(v.as_object().map.size()));
    case Value::Kind::kUndefined:
      return Value(0);
    default:
      throw ValueError("object of type '" + v.type_name() + "' has no len()");
  }
}

Value pairs(const Value& v) {
  std::vector<Value> out;
  if (v.is_undefined()) return Value::array({});
  if (!v.is_object()) throw ValueError("can only get items of a mapping, got " + v.type_name());
  for (const auto& [k, x] : v.as_object().map.items())
    out.push_back(Value::array({Value(k), x}, true));
  return Value::array(std::move(out));
}

Value f_items(Interpreter&, const Value& v, CallArgs&) {
  return pairs(v);
}

Value f_join(Interpreter& in, const Value& v, CallArgs& a) {
  std::string sep = arg_str(a, 0, "d", "");
  const Value* attribute = arg(a, 1, "attribute");
  std::string out;
  bool first = true;
  for (const Value& x : iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += attribute ? attr_path(x, *attribute).str() : x.str();
    in.charge_bytes(out.size());
  }
  return Value(std::move(out));
}

Value f_default(Interpreter&, const Value& v, CallArgs& a) {
  const Value* def = arg(a, 0, "default_value");
  bool boolean = arg_bool(a, 1, "boolean", false);
  if (v.is_undefined() || (boolean && !v.truthy())) return def ? *def : Value("");
  return v;
}

Value f_replace(Interpreter& in, const Value& v, CallArgs& a) {
  const Value* old = arg(a, 0, "old");
  const Value* repl = arg(a, 1, "new");
  if (!old || !repl) throw ValueError("replace() needs old and new");
  const Value* count = arg(a, 2, "count");
  std::string s = pystr::replace(v.str(), old->str(), repl->str(),
                                 count && !count->is_none() ? count->to_int() : -1,
                                 in.limits().max_output_bytes);
  in.charge_bytes(s.size());
  return Value(std::move(s));
}

Value f_trim(Interpreter&, const Value& v, CallArgs& a) {
  const Value* chars = arg(a, 0, "chars");
  std::optional<std::string> c;
  if (chars && !chars->is_none()) c = chars->str();
  return Value(pystr::strip(v.str(), c, true, true));
}

Value f_lower(Interpreter&, const Value& v, CallArgs&) {
  return Value(pystr::lower(v.str()));
}
Value f_upper(Interpreter&, const Value& v, CallArgs&) {
  return Value(pystr::upper(v.str()));
}
Value f_capitalize(Interpreter&, const Value& v, CallArgs&) {
  return Value(pystr::capitalize(v.str()));
}

// jinja's title: words split at runs of whitespace, '-', '(', '{', '[', '<'; each word's
// first character upper-cased, the rest lower-cased.
Value f_title(Interpreter&, const Value& v, CallArgs&) {
  std::string s = v.str(), out;
  bool word_start = true;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    uint32_t cp = pystr::next_code_point(s, j);
    bool sep = pystr::is_space(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
    std::string piece = s.substr(i, j - i);
    out += sep ? piece : (word_start ? pystr::upper(piece) : pystr::lower(piece));
    word_start = sep;
    i = j;
  }
  return Value(std::move(out));
}

Value f_first(Interpreter&, const Value& v, CallArgs&) {
  std::vector<Value> items = iterate(v);
  return items.empty() ? Value::undefined("first") : items.front();
}

Value f_last(Interpreter&, const Value& v, CallArgs&) {
  std::vector<Value> items = iterate(v);
  return items.empty() ? Value::undefined("last") : items.back();
}

Value f_list(Interpreter&, const Value& v, CallArgs&) {
  return Value::array(iterate(v));
}
Value f_string(Interpreter&, const Value& v, CallArgs&) {
  return Value(v.str());
}

Value f_int(Interpreter&, const Value& v, CallArgs& a) {
  const Value* def = arg(a, 0, "default");
  Value fallback = def ? *def : Value(0);
  if (v.is_int() || v.is_bool()) return Value(v.to_int());
  if (v.is_float()) {
    double d = v.as_float();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return fallback;
    return Value(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    std::string s = pystr::strip(v.as_string(), std::nullopt, true, true);
    try {
      size_t used = 0;
      int64_t base = a.get(1, "base") ? a.get(1, "base")->to_int() : 10;
      if (base < 2 || base > 36) return fallback;
      long long x = std::stoll(s, &used, static_cast<int>(base));
      if (used == s.size()) return Value(static_cast<int64_t>(x));
    } catch (...) {
    }
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used == s.size() && std::isfinite(d) && std::fabs(d) < 9.2e18)
        return Value(static_cast<int64_t>(d));
    } catch (...) {
    }
  }
  return fallback;
}

Value f_float(Interpreter&, const Value& v, CallArgs& a) {
  const Value* def = arg(a, 0, "default");
  Value fallback = def ? *def : Value(0.0);
  if (v.is_number()) return Value(v.to_double());
  if (v.is_string()) {
    std::string s = pystr::strip(v.as_string(), std::nullopt, true, true);
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used == s.size()) return Value(d);
    } catch (...) {
    }
  }
  return fallback;
}

Value f_abs(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_int() || v.is_bool()) {
    int64_t x = v.to_int();
    if (x == INT64_MIN) throw ValueError("integer overflow");
    return Value(x < 0 ? -x : x);
  }
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  throw ValueError("bad operand type for abs(): '" + v.type_name() + "'");
}

Value f_round(Interpreter&, const Value& v, CallArgs& a) {
  int64_t precision = a.get(0, "precision") ? a.get(0, "precision")->to_int() : 0;
  std::string method = arg_str(a, 1, "method", "common");
  double x = v.to_double();
  precision = std::clamp<int64_t>(precision, -300, 300);
  double scale = std::pow(10.0, static_cast<double>(precision));
  double y = x * scale;
  if (method == "common") {
    y = std::nearbyint(y);  // Python's round(): half to even
  } else if (method == "ceil") {
    y = std::ceil(y);
  } else if (method == "floor") {
    y = std::floor(y);
  } else {
    throw ValueError("method must be common, ceil or floor");
  }
  return Value(y / scale);
}

Value f_unique(Interpreter&, const Value& v, CallArgs& a) {
  bool cs = arg_bool(a, 0, "case_sensitive", false);
  const Value* attribute = arg(a, 1, "attribute");
  std::vector<Value> out, seen;
  for (const Value& x : iterate(v)) {
    Value key = sort_key(attribute ? attr_path(x, *attribute) : x, cs);
    bool dup = false;
    for (const Value& s : seen) dup = dup || equal(s, key);
    if (!dup) seen.push_back(key), out.push_back(x);
  }
  return Value::array(std::move(out));
}

Value f_reverse(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_string()) {
    auto off = pystr::code_point_offsets(v.as_string());
    std::string out;
    for (size_t i = off.size() - 1; i > 0; --i)
      out += v.as_string().substr(off[i - 1], off[i] - off[i - 1]);
    return Value(std::move(out));
  }
  std::vector<Value> items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::array(std::move(items));
}

Value f_sort(Interpreter&, const Value& v, CallArgs& a) {
  bool reverse = arg_bool(a, 0, "reverse", false);
  bool cs = arg_bool(a, 1, "case_sensitive", false);
  const Value* attribute = arg(a, 2, "attribute");
  std::vector<Value> items = iterate(v);
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& x : items)
    keyed.emplace_back(sort_key(attribute ? attr_path(x, *attribute) : x, cs), std::move(x));
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& p, const auto& q) {
    return reverse ? compare(q.first, p.first) < 0 : compare(p.first, q.first) < 0;
  });
  std::vector<Value> out;
  for (auto& p : keyed) out.push_back(std::move(p.second));
  return Value::array(std::move(out));
}

Value f_dictsort(Interpreter&, const Value& v, CallArgs& a) {
  bool cs = arg_bool(a, 0, "case_sensitive", false);
  std::string by = arg_str(a, 1, "by", "key");
  bool reverse = arg_bool(a, 2, "reverse", false);
  if (by != "key" && by != "value")
    throw ValueError("You can only sort by either 'key' or 'value'");
  std::vector<Value> items = pairs(v).as_array().items;
  size_t pos = by == "key" ? 0 : 1;
  std::stable_sort(items.begin(), items.end(), [&](const Value& p, const Value& q) {
    int c = compare(sort_key(p.as_array().items[pos], cs), sort_key(q.as_array().items[pos], cs));
    return reverse ? c > 0 : c < 0;
  });
  return Value::array(std::move(items));
}

Value f_map(Interpreter& in, const Value& v, CallArgs& a) {
  std::vector<Value> out;
  if (const Value* attribute = a.get(99, "attribute")) {
    const Value* def = a.get(99, "default");
    for (const Value& x : iterate(v)) {
      Value r = attr_path(x, *attribute);
      out.push_back(r.is_undefined() && def ? *def : r);
    }
    return Value::array(std::move(out));
  }
  if (a.positional.empty()) throw ValueError("map() needs a filter name or attribute=");
  std::string name = a.positional[0].str();
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + 1, a.positional.end());
  rest.keyword = a.keyword;
  for (const Value& x : iterate(v)) {
    CallArgs copy = rest;
    out.push_back(in.apply_filter(name, x, copy));
  }
  return Value::array(std::move(out));
}

Value select_impl(Interpreter& in, const Value& v, CallArgs& a, bool attr, bool keep) {
  size_t k = 0;
  Value attribute;
  if (attr) {
    if (a.positional.empty()) throw ValueError("selectattr/rejectattr need an attribute");
    attribute = a.positional[k++];
  }
  std::string test;
  if (k < a.positional.size()) test = a.positional[k++].str();
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + static_cast<long>(std::min(k, a.positional.size())),
                         a.positional.end());
  std::vector<Value> out;
  for (const Value& x : iterate(v)) {
    Value probe = attr ? attr_path(x, attribute) : x;
    bool ok;
    if (test.empty()) {
      ok = probe.truthy();
    } else {
      CallArgs copy = rest;
      ok = in.apply_test(test, probe, copy);
    }
    if (ok == keep) out.push_back(x);
  }
  return Value::array(std::move(out));
}

Value f_select(Interpreter& in, const Value& v, CallArgs& a) {
  return select_impl(in, v, a, false, true);
}
Value f_reject(Interpreter& in, const Value& v, CallArgs& a) {
  return select_impl(in, v, a, false, false);
}
Value f_selectattr(Interpreter& in, const Value& v, CallArgs& a) {
  return select_impl(in, v, a, true, true);
}
Value f_rejectattr(Interpreter& in, const Value& v, CallArgs& a) {
  return select_impl(in, v, a, true, false);
}

Value f_indent(Interpreter& in, const Value& v, CallArgs& a) {
  std::string indention;
  const Value* width = arg(a, 0, "width");
  if (width && width->is_string())
    indention = width->as_string();
  else
    indention = std::string(
        static_cast<size_t>(std::clamp<int64_t>(width ? width->to_int() : 4, 0, 1000)), ' ');
  bool first = arg_bool(a, 1, "first", false);
  bool blank = arg_bool(a, 2, "blank", false);
  std::string s = v.str() + "\n";
  std::vector<std::string> lines = pystr::splitlines(s);
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) rv += (i ? "\n" + indention : "") + lines[i];
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i)
      rv += "\n" + (lines[i].empty() ? "" : indention + lines[i]);
  }
  if (first) rv = indention + rv;
  in.charge_bytes(rv.size());
  return Value(std::move(rv));
}

Value f_safe(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() ? v : Value(v.str());
}

Value f_escape(Interpreter&, const Value& v, CallArgs&) {
  std::string out;
  for (char c : v.str()) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return Value(std::move(out));
}

Value f_wordcount(Interpreter&, const Value& v, CallArgs&) {
  // jinja: len(re.findall(r"\w+", s)); \w is letters, digits and underscore (Unicode).
  std::string s = v.str();
  int64_t n = 0;
  bool in_word = false;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = pystr::next_code_point(s, i);
    bool w = cp == '_' || (cp < 128 ? std::isalnum(static_cast<int>(cp)) != 0
                                    : !pystr::is_space(cp) && cp > 0xBF);
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value(n);
}

Value f_attr(Interpreter&, const Value& v, CallArgs& a) {
  const Value* name = arg(a, 0, "name");
  if (!name) throw ValueError("attr() needs a name");
  return get_attr(v, name->str());
}

Value f_format(Interpreter&, const Value& v, CallArgs& a) {
  if (!a.keyword.empty())
    return Value(percent_format(need_string(v, "format"), Value::object(a.keyword)));
  return Value(percent_format(need_string(v, "format"), Value::array(a.positional, true)));
}

Value f_sum(Interpreter& in, const Value& v, CallArgs& a) {
  const Value* attribute = arg(a, 0, "attribute");
  const Value* start = arg(a, 1, "start");
  Value total = start ? *start : Value(0);
  for (const Value& x : iterate(v))
    total = binary_op(in, "+", total, attribute ? attr_path(x, *attribute) : x);
  return total;
}

Value minmax(const Value& v, CallArgs& a, bool want_max) {
  bool cs = arg_bool(a, 0, "case_sensitive", false);
  const Value* attribute = arg(a, 1, "attribute");
  std::vector<Value> items = iterate(v);
  if (items.empty()) return Value::undefined(want_max ? "max" : "min");
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    Value ki = sort_key(attribute ? attr_path(items[i], *attribute) : items[i], cs);
    Value kb = sort_key(attribute ? attr_path(items[best], *attribute) : items[best], cs);
    int c = compare(ki, kb);
    if (want_max ? c > 0 : c < 0) best = i;
  }
  return items[best];
}

Value f_max(Interpreter&, const Value& v, CallArgs& a) {
  return minmax(v, a, true);
}
Value f_min(Interpreter&, const Value& v, CallArgs& a) {
  return minmax(v, a, false);
}

Value f_center(Interpreter&, const Value& v, CallArgs& a) {
  int64_t width =
      std::clamp<int64_t>(a.get(0, "width") ? a.get(0, "width")->to_int() : 80, 0, 100000);
  std::string s = v.str();
  int64_t len = static_cast<int64_t>(pystr::length(s));
  if (width <= len) return Value(s);
  int64_t total = width - len;
  int64_t left = total / 2 + (total & width & 1);  // CPython's str.center rounding
  return Value(std::string(left, ' ') + s + std::string(total - left, ' '));
}

Value f_truncate(Interpreter&, const Value& v, CallArgs& a) {
  int64_t length = a.get(0, "length") ? a.get(0, "length")->to_int() : 255;
  bool killwords = arg_bool(a, 1, "killwords", false);
  std::string end = arg_str(a, 2, "end", "...");
  int64_t leeway = a.get(3, "leeway") ? a.get(3, "leeway")->to_int() : 5;
  std::string s = v.str();
  auto off = pystr::code_point_offsets(s);
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  int64_t end_len = static_cast<int64_t>(pystr::length(end));
  if (length < end_len) throw ValueError("expected length >= len(end)");
  if (n <= length + leeway) return Value(s);
  std::string head = s.substr(0, off[length - end_len]);
  if (killwords) return Value(head + end);
  size_t sp = head.rfind(' ');
  if (sp != std::string::npos) head = head.substr(0, sp);
  return Value(head + end);
}

const std::unordered_map<std::string_view, FilterFn>& table() {
  static const std::unordered_map<std::string_view, FilterFn> t = {
      {"tojson", f_tojson},
      {"length", f_length},
      {"count", f_length},
      {"items", f_items},
      {"join", f_join},
      {"default", f_default},
      {"d", f_default},
      {"replace", f_replace},
      {"trim", f_trim},
      {"lower", f_lower},
      {"upper", f_upper},
      {"title", f_title},
      {"capitalize", f_capitalize},
      {"first", f_first},
      {"last", f_last},
      {"list", f_list},
      {"string", f_string},
      {"int", f_int},
      {"float", f_float},
      {"abs", f_abs},
      {"round", f_round},
      {"map", f_map},
      {"select", f_select},
      {"reject", f_reject},
      {"selectattr", f_selectattr},
      {"rejectattr", f_rejectattr},
      {"unique", f_unique},
      {"reverse", f_reverse},
      {"sort", f_sort},
      {"dictsort", f_dictsort},
      {"indent", f_indent},
      {"safe", f_safe},
      {"e", f_escape},
      {"escape", f_escape},
      {"forceescape", f_escape},
      {"wordcount", f_wordcount},
      {"attr", f_attr},
      {"format", f_format},
      {"sum", f_sum},
      {"max", f_max},
      {"min", f_min},
      {"center", f_center},
      {"truncate", f_truncate},
  };
  return t;
}

}  // namespace

FilterFn find_filter(std::string_view name) {
  auto it = table().find(name);
  return it == table().end() ? nullptr : it->second;
}

}  // namespace junction::jinja
