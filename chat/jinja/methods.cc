// Methods of Python's str, dict and list that templates call (`s.startswith('x')`,
// `d.items()`), bound to their object. HF renders in jinja2's ImmutableSandboxedEnvironment,
// so methods that mutate (list.append, dict.update, ...) are refused as they are there.
#include <unordered_set>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"
#include "chat/jinja/format.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/pystr.h"

namespace junction::jinja {
namespace {

using Method = Value (*)(Interpreter&, const Value& self, CallArgs& args);

std::optional<std::string> opt_str(const CallArgs& a, size_t i, std::string_view name) {
  const Value* v = a.get(i, name);
  if (!v || v->is_none()) return std::nullopt;
  if (!v->is_string()) throw ValueError("expected a string argument, got " + v->type_name());
  return v->as_string();
}

int64_t opt_int(const CallArgs& a, size_t i, std::string_view name, int64_t def) {
  const Value* v = a.get(i, name);
  return v && !v->is_none() ? v->to_int() : def;
}

const std::string& str_arg(const CallArgs& a, size_t i, std::string_view name) {
  const Value* v = a.get(i, name);
  if (!v) throw ValueError("missing argument '" + std::string(name) + "'");
  if (!v->is_string()) throw ValueError("expected a string argument, got " + v->type_name());
  return v->as_string();
}

Value strings(const std::vector<std::string>& parts) {
  std::vector<Value> out(parts.begin(), parts.end());
  return Value::array(std::move(out));
}

bool affix(const Value& self, CallArgs& a, bool prefix) {
  const std::string& s = self.as_string();
  const Value* p = a.get(0, "prefix");
  if (!p) throw ValueError("startswith/endswith need an argument");
  std::vector<Value> options = p->is_array() ? p->as_array().items : std::vector<Value>{*p};
  for (const Value& o : options) {
    if (!o.is_string()) throw ValueError("startswith/endswith arg must be str or a tuple of str");
    const std::string& x = o.as_string();
    if (x.size() <= s.size() && (prefix ? s.compare(0, x.size(), x) == 0
                                        : s.compare(s.size() - x.size(), x.size(), x) == 0))
      return true;
  }
  return false;
}

Value s_startswith(Interpreter&, const Value& s, CallArgs& a) {
  return Value(affix(s, a, true));
}
Value s_endswith(Interpreter&, const Value& s, CallArgs& a) {
  return Value(affix(s, a, false));
}
Value s_strip(Interpreter&, const Value& s, CallArgs& a) {
  return Value(pystr::strip(s.as_string(), opt_str(a, 0, "chars"), true, true));
}
Value s_lstrip(Interpreter&, const Value& s, CallArgs& a) {
  return Value(pystr::strip(s.as_string(), opt_str(a, 0, "chars"), true, false));
}
Value s_rstrip(Interpreter&, const Value& s, CallArgs& a) {
  return Value(pystr::strip(s.as_string(), opt_str(a, 0, "chars"), false, true));
}
Value s_split(Interpreter& in, const Value& s, CallArgs& a) {
  auto parts = pystr::split(s.as_string(), opt_str(a, 0, "sep"), opt_int(a, 1, "maxsplit", -1));
  in.check_items(parts.size());
  return strings(parts);
}
Value s_rsplit(Interpreter& in, const Value& s, CallArgs& a) {
  auto parts = pystr::rsplit(s.as_string(), opt_str(a, 0, "sep"), opt_int(a, 1, "maxsplit", -1));
  in.check_items(parts.size());
  return strings(parts);
}
Value s_splitlines(Interpreter&, const Value& s, CallArgs&) {
  return strings(pystr::splitlines(s.as_string()));
}
Value s_replace(Interpreter& in, const Value& s, CallArgs& a) {
  std::string r = pystr::replace(s.as_string(), str_arg(a, 0, "old"), str_arg(a, 1, "new"),
                                 opt_int(a, 2, "count", -1), in.limits().max_output_bytes);
  in.charge_bytes(r.size());
  return Value(std::move(r));
}
Value s_format(Interpreter& in, const Value& s, CallArgs& a) {
  std::string r = str_format(s.as_string(), a);
  in.charge_bytes(r.size());
  return Value(std::move(r));
}
Value s_upper(Interpreter&, const Value& s, CallArgs&) {
  return Value(pystr::upper(s.as_string()));
}
Value s_lower(Interpreter&, const Value& s, CallArgs&) {
  return Value(pystr::lower(s.as_string()));
}
Value s_title(Interpreter&, const Value& s, CallArgs&) {
  return Value(pystr::title(s.as_string()));
}
Value s_capitalize(Interpreter&, const Value& s, CallArgs&) {
  return Value(pystr::capitalize(s.as_string()));
}
Value s_find(Interpreter&, const Value& s, CallArgs& a) {
  return Value(pystr::find(s.as_string(), str_arg(a, 0, "sub"), false));
}
Value s_rfind(Interpreter&, const Value& s, CallArgs& a) {
  return Value(pystr::find(s.as_string(), str_arg(a, 0, "sub"), true));
}
Value s_count(Interpreter&, const Value& s, CallArgs& a) {
  return Value(pystr::count(s.as_string(), str_arg(a, 0, "sub")));
}
Value s_join(Interpreter& in, const Value& s, CallArgs& a) {
  const Value* it = a.get(0, "iterable");
  if (!it) throw ValueError("join() takes exactly one argument");
  std::string out;
  bool first = true;
  for (const Value& x : iterate(*it)) {
    if (!x.is_string())
      throw ValueError("sequence item: expected str instance, " + x.type_name() + " found");
    if (!first) out += s.as_string();
    first = false;
    out += x.as_string();
    in.charge_bytes(out.size());
  }
  return Value(std::move(out));
}

template <bool (*Pred)(uint32_t)>
Value char_class(Interpreter&, const Value& s, CallArgs&) {
  const std::string& str = s.as_string();
  if (str.empty()) return Value(false);
  size_t i = 0;
  while (i < str.size()) {
    if (!Pred(pystr::next_code_point(str, i))) return Value(false);
  }
  return Value(true);
}
bool is_digit_cp(uint32_t c) {
  return c >= '0' && c <= '9';
}
bool is_alpha_cp(uint32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c > 0xBF;
}
bool is_alnum_cp(uint32_t c) {
  return is_digit_cp(c) || is_alpha_cp(c);
}

Value d_items(Interpreter& in, const Value& d, CallArgs& a) {
  return in.apply_filter("items", d, a);
}
Value d_keys(Interpreter&, const Value& d, CallArgs&) {
  return Value::array(iterate(d));
}
Value d_values(Interpreter&, const Value& d, CallArgs&) {
  std::vector<Value> out;
  for (const auto& kv : d.as_object().map.items()) out.push_back(kv.second);
  return Value::array(std::move(out));
}
Value d_get(Interpreter&, const Value& d, CallArgs& a) {
  const Value* key = a.get(0, "key");
  if (!key) throw ValueError("get expected at least 1 argument, got 0");
  const Value* def = a.get(1, "default");
  if (key->is_string()) {
    if (const Value* v = d.as_object().map.find(key->as_string())) return *v;
  }
  return def ? *def : Value::none();
}

Value l_index(Interpreter&, const Value& l, CallArgs& a) {
  const Value* x = a.get(0, "value");
  if (!x) throw ValueError("index() takes at least 1 argument");
  const auto& items = l.as_array().items;
  for (size_t i = 0; i < items.size(); ++i) {
    if (equal(items[i], *x)) return Value(static_cast<int64_t>(i));
  }
  throw ValueError(x->repr() + " is not in list");
}
Value l_count(Interpreter&, const Value& l, CallArgs& a) {
  const Value* x = a.get(0, "value");
  if (!x) throw ValueError("count() takes exactly one argument");
  int64_t n = 0;
  for (const Value& v : l.as_array().items) n += equal(v, *x);
  return Value(n);
}

Value unsafe(Interpreter&, const Value& self, CallArgs&) {
  throw ValueError("access to a mutating method of an immutable " + self.type_name() +
                   " is unsafe");
}

const std::unordered_map<std::string_view, Method>& str_methods() {
  static const std::unordered_map<std::string_view, Method> t = {
      {"startswith", s_startswith},
      {"endswith", s_endswith},
      {"strip", s_strip},
      {"lstrip", s_lstrip},
      {"rstrip", s_rstrip},
      {"split", s_split},
      {"rsplit", s_rsplit},
      {"splitlines", s_splitlines},
      {"replace", s_replace},
      {"format", s_format},
      {"upper", s_upper},
      {"lower", s_lower},
      {"title", s_title},
      {"capitalize", s_capitalize},
      {"find", s_find},
      {"rfind", s_rfind},
      {"count", s_count},
      {"join", s_join},
      {"isdigit", char_class<is_digit_cp>},
      {"isalpha", char_class<is_alpha_cp>},
      {"isalnum", char_class<is_alnum_cp>},
      {"isspace", char_class<pystr::is_space>},
  };
  return t;
}

const std::unordered_map<std::string_view, Method>& dict_methods() {
  static const std::unordered_map<std::string_view, Method> t = {
      {"items", d_items}, {"keys", d_keys}, {"values", d_values}, {"get", d_get},
      {"update", unsafe}, {"pop", unsafe},  {"popitem", unsafe},  {"setdefault", unsafe},
      {"clear", unsafe},  {"copy", unsafe}, {"fromkeys", unsafe},
  };
  return t;
}

const std::unordered_map<std::string_view, Method>& list_methods() {
  static const std::unordered_map<std::string_view, Method> t = {
      {"index", l_index}, {"count", l_count}, {"append", unsafe}, {"extend", unsafe},
      {"insert", unsafe}, {"pop", unsafe},    {"remove", unsafe}, {"reverse", unsafe},
      {"sort", unsafe},   {"clear", unsafe},  {"copy", unsafe},
  };
  return t;
}

}  // namespace

Value bound_method(const Value& obj, const std::string& name) {
  const std::unordered_map<std::string_view, Method>* table = nullptr;
  if (obj.is_string())
    table = &str_methods();
  else if (obj.is_object())
    table = &dict_methods();
  else if (obj.is_array() && !obj.as_array().is_tuple)
    table = &list_methods();
  else if (obj.is_array()) {
    static const std::unordered_map<std::string_view, Method> tuple_methods = {{"index", l_index},
                                                                               {"count", l_count}};
    table = &tuple_methods;
  }
  if (!table) return Value::undefined(name);
  auto it = table->find(name);
  if (it == table->end()) return Value::undefined(name);
  auto c = std::make_shared<Callable>();
  c->name = name;
  Method m = it->second;
  c->builtin = [m, obj](Interpreter& in, CallArgs& a) { return m(in, obj, a); };
  return Value::callable(std::move(c));
}

}  // namespace junction::jinja
