// Global functions available to templates: range, dict, namespace, raise_exception (HF), and
// strftime_now (HF; reads the interpreter's injectable clock).
#include <ctime>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"
#include "chat/jinja/interpreter.h"

namespace junction::jinja {
namespace {

Value make(const char* name, std::function<Value(Interpreter&, CallArgs&)> fn) {
  auto c = std::make_shared<Callable>();
  c->name = name;
  c->builtin = std::move(fn);
  return Value::callable(std::move(c));
}

Value g_range(Interpreter& in, CallArgs& a) {
  if (!a.keyword.empty()) throw ValueError("range() takes no keyword arguments");
  int64_t start = 0, stop = 0, step = 1;
  const auto& p = a.positional;
  if (p.size() == 1)
    stop = p[0].to_int();
  else if (p.size() == 2)
    start = p[0].to_int(), stop = p[1].to_int();
  else if (p.size() == 3)
    start = p[0].to_int(), stop = p[1].to_int(), step = p[2].to_int();
  else
    throw ValueError("range expected 1 to 3 arguments, got " + std::to_string(p.size()));
  if (step == 0) throw ValueError("range() arg 3 must not be zero");
  // Count without overflow.
  long double span =
      step > 0 ? static_cast<long double>(stop) - start : static_cast<long double>(start) - stop;
  long double count_ld = span <= 0 ? 0
                                   : (span + (std::abs(static_cast<long double>(step)) - 1)) /
                                         std::abs(static_cast<long double>(step));
  if (count_ld > static_cast<long double>(in.limits().max_items))
    throw ValueError("range() is larger than " + std::to_string(in.limits().max_items) + " items");
  size_t count = static_cast<size_t>(count_ld);
  in.check_items(count);
  std::vector<Value> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i)
    out.emplace_back(static_cast<int64_t>(start + static_cast<int64_t>(i) * step));
  return Value::array(std::move(out));
}

Value g_dict(Interpreter&, CallArgs& a) {
  std::vector<std::pair<std::string, Value>> items;
  if (!a.positional.empty()) {
    const Value& src = a.positional[0];
    if (src.is_object()) {
      items = src.as_object().map.items();
    } else {
      for (const Value& kv : iterate(src)) {
        std::vector<Value> pair = iterate(kv);
        if (pair.size() != 2 || !pair[0].is_string())
          throw ValueError("dict() needs (str, value) pairs");
        items.emplace_back(pair[0].as_string(), pair[1]);
      }
    }
  }
  for (auto& kv : a.keyword) items.push_back(kv);
  return Value::object(std::move(items));
}

Value g_namespace(Interpreter& in, CallArgs& a) {
  ObjectMap attrs;
  if (!a.positional.empty()) {
    if (!a.positional[0].is_object()) throw ValueError("namespace() takes a mapping");
    for (const auto& [k, v] : a.positional[0].as_object().map.items()) attrs.set(k, v);
  }
  for (auto& [k, v] : a.keyword) attrs.set(k, v);
  return in.make_namespace(std::move(attrs));
}

Value g_raise_exception(Interpreter&, CallArgs& a) {
  throw ValueError(a.positional.empty() ? std::string("raise_exception called")
                                        : a.positional[0].str());
}

Value g_strftime_now(Interpreter& in, CallArgs& a) {
  const Value* fmt = a.get(0, "format");
  if (!fmt || !fmt->is_string()) throw ValueError("strftime_now() needs a format string");
  std::tm tm = in.now();
  std::string f = fmt->as_string();
  if (f.empty()) return Value("");
  std::string out(256 + f.size() * 16, '\0');
  size_t n = std::strftime(out.data(), out.size(), f.c_str(), &tm);
  out.resize(n);
  return Value(std::move(out));
}

}  // namespace

void add_globals(ObjectMap& globals) {
  globals.set("range", make("range", g_range));
  globals.set("dict", make("dict", g_dict));
  globals.set("namespace", make("namespace", g_namespace));
  globals.set("raise_exception", make("raise_exception", g_raise_exception));
  globals.set("strftime_now", make("strftime_now", g_strftime_now));
}

}  // namespace junction::jinja
