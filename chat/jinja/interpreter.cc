// The tree-walking evaluator (see interpreter.h). Scopes follow jinja2: a for-loop iteration,
// a macro call and a with-block open a scope; if-blocks do not; `set` writes to the innermost
// scope, so only namespace attributes carry values out of a loop.
#include "chat/jinja/interpreter.h"

#include <algorithm>

#include "chat/jinja/builtins.h"
#include "chat/jinja/error.h"
#include "chat/jinja/operators.h"
#include "chat/jinja/pystr.h"

namespace junction::jinja {

struct Scope {
  std::shared_ptr<Scope> parent;
  ObjectMap vars;

  const Value* find(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent.get()) {
      if (const Value* v = s->vars.find(name)) return v;
    }
    return nullptr;
  }
};

namespace {

std::shared_ptr<Scope> child(const std::shared_ptr<Scope>& parent) {
  auto s = std::make_shared<Scope>();
  s->parent = parent;
  return s;
}

[[noreturn]] void undefined_error(const Value& v) {
  throw ValueError("'" + (v.undefined_name().empty() ? std::string("value") : v.undefined_name()) +
                   "' is undefined");
}

}  // namespace

std::vector<Value> iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return {};
    case Value::Kind::kArray:
      return v.as_array().items;
    case Value::Kind::kObject: {
      std::vector<Value> keys;
      for (const auto& kv : v.as_object().map.items()) keys.emplace_back(kv.first);
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      const std::string& s = v.as_string();
      auto off = pystr::code_point_offsets(s);
      for (size_t i = 0; i + 1 < off.size(); ++i)
        chars.emplace_back(s.substr(off[i], off[i + 1] - off[i]));
      return chars;
    }
    default:
      throw ValueError("'" + v.type_name() + "' object is not iterable");
  }
}

Value get_attr(const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined:
      undefined_error(obj);
    case Value::Kind::kObject: {
      Value m = bound_method(obj, name);
      if (!m.is_undefined()) return m;
      const Value* v = obj.as_object().map.find(name);
      return v ? *v : Value::undefined(name);
    }
    case Value::Kind::kNamespace: {
      const Value* v = obj.as_namespace().attrs.find(name);
      return v ? *v : Value::undefined(name);
    }
    case Value::Kind::kString:
    case Value::Kind::kArray: {
      Value m = bound_method(obj, name);
      return m.is_undefined() ? Value::undefined(name) : m;
    }
    default:
      return Value::undefined(name);
  }
}

Value get_item(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined:
      undefined_error(obj);
    case Value::Kind::kObject: {
      if (key.is_string()) {
        if (const Value* v = obj.as_object().map.find(key.as_string())) return *v;
        return Value::undefined(key.as_string());
      }
      return Value::undefined(key.str());
    }
    case Value::Kind::kNamespace:
      if (key.is_string()) return get_attr(obj, key.as_string());
      return Value::undefined();
    case Value::Kind::kArray:
    case Value::Kind::kString: {
      if (key.is_string()) return get_attr(obj, key.as_string());
      if (!key.is_int() && !key.is_bool()) return Value::undefined();
      int64_t i = key.to_int();
      if (obj.is_array()) {
        const auto& items = obj.as_array().items;
        int64_t n = static_cast<int64_t>(items.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::undefined("[" + std::to_string(key.to_int()) + "]");
        return items[i];
      }
      const std::string& s = obj.as_string();
      auto off = pystr::code_point_offsets(s);
      int64_t n = static_cast<int64_t>(off.size()) - 1;
      if (i < 0) i += n;
      if (i < 0 || i >= n) return Value::undefined("[" + std::to_string(key.to_int()) + "]");
      return Value(s.substr(off[i], off[i + 1] - off[i]));
    }
    default:
      return Value::undefined();
  }
}

Interpreter::Interpreter(const Limits& limits, std::function<std::tm()> now)
    : limits_(limits), now_(std::move(now)) {}

Interpreter::~Interpreter() {
  for (auto& w : namespaces_) {
    if (auto ns = w.lock()) ns->attrs.clear();
  }
}

void Interpreter::charge(int64_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_steps)
    throw ValueError("template exceeded " + std::to_string(limits_.max_steps) +
                     " evaluation steps");
}

void Interpreter::charge_bytes(size_t bytes) {
  if (bytes > limits_.max_output_bytes)
    throw ValueError("string grows past " + std::to_string(limits_.max_output_bytes) + " bytes");
  charge(static_cast<int64_t>(bytes / 256));
}

void Interpreter::check_items(size_t n) {
  if (n > limits_.max_items)
    throw ValueError("list grows past " + std::to_string(limits_.max_items) + " items");
  charge(static_cast<int64_t>(n / 16));
}

void Interpreter::charge_built(size_t bytes) {
  if (bytes > limits_.max_bytes_built - std::min(bytes_built_, limits_.max_bytes_built))
    throw ValueError("template built more than " + std::to_string(limits_.max_bytes_built) +
                     " bytes of strings, lists and output (the render's memory budget)");
  bytes_built_ += bytes;
}

namespace {

// Expressions whose value may be new: what they return is charged to max_bytes_built. Names,
// literals and attribute or item access return what exists already (shared, not copied).
bool builds(Expr::Kind k) {
  switch (k) {
    case Expr::Kind::kList:
    case Expr::Kind::kTuple:
    case Expr::Kind::kDict:
    case Expr::Kind::kSlice:
    case Expr::Kind::kCall:
    case Expr::Kind::kFilter:
    case Expr::Kind::kBinary:
      return true;
    default:
      return false;
  }
}

// Bytes a value built by an expression holds of its own: text, or list and dict slots (the
// items are shared with whatever they came from).
size_t own_bytes(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString:
      return v.as_string().size();
    case Value::Kind::kArray:
      return v.as_array().items.size() * sizeof(Value);
    case Value::Kind::kObject:
      return v.as_object().map.size() * sizeof(std::pair<std::string, Value>);
    default:
      return 0;
  }
}

}  // namespace

Value Interpreter::make_namespace(ObjectMap attrs) {
  auto ns = std::make_shared<Namespace>();
  ns->attrs = std::move(attrs);
  if (namespaces_.size() >= 64 && namespaces_.size() % 64 == 0) {
    std::erase_if(namespaces_, [](const std::weak_ptr<Namespace>& w) { return w.expired(); });
  }
  namespaces_.push_back(ns);
  return Value::ns(std::move(ns));
}

std::string Interpreter::render(const Body& body, const ObjectMap& context) {
  auto globals = std::make_shared<Scope>();
  add_globals(globals->vars);
  root_ = child(globals);
  for (const auto& [k, v] : context.items()) root_->vars.set(k, v);
  std::string out;
  try {
    exec_body(body, root_, out);
  } catch (const std::bad_alloc&) {
    throw TemplateError(1, 1, "out of memory while rendering");
  }
  root_.reset();
  return out;
}

void Interpreter::write(std::string& out, std::string_view text) {
  if (out.size() + text.size() > limits_.max_output_bytes)
    throw ValueError("output exceeds " + std::to_string(limits_.max_output_bytes) + " bytes");
  charge_built(text.size());
  out += text;
  charge(static_cast<int64_t>(text.size() / 256));
}

Interpreter::Flow Interpreter::exec_body(const Body& body, const std::shared_ptr<Scope>& scope,
                                         std::string& out) {
  for (const auto& s : body) {
    Flow f = exec(*s, scope, out);
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::exec(const Stmt& s, const std::shared_ptr<Scope>& scope,
                                    std::string& out) {
  try {
    charge(1);
    switch (s.kind) {
      case Stmt::Kind::kText:
        write(out, s.text);
        return Flow::kNormal;
      case Stmt::Kind::kOutput: {
        Value v = eval(*s.expr, scope);
        write(out, v.str());
        return Flow::kNormal;
      }
      case Stmt::Kind::kIf:
        for (size_t i = 0; i < s.conditions.size(); ++i) {
          if (eval(*s.conditions[i], scope).truthy()) return exec_body(s.bodies[i], scope, out);
        }
        return exec_body(s.else_body, scope, out);
      case Stmt::Kind::kFor: {
        Flow flow = Flow::kNormal;
        exec_for(s, scope, out, flow);
        return flow;
      }
      case Stmt::Kind::kSet:
        assign(s.target, eval(*s.expr, scope), scope);
        return Flow::kNormal;
      case Stmt::Kind::kSetBlock: {
        std::string captured;
        exec_body(s.bodies[0], scope, captured);
        assign(s.target, eval_filters(s.filters, Value(std::move(captured)), scope), scope);
        return Flow::kNormal;
      }
      case Stmt::Kind::kMacro: {
        auto c = std::make_shared<Callable>();
        c->name = s.macro->name;
        c->macro = s.macro.get();
        scope->vars.set(s.macro->name, Value::callable(std::move(c)));
        return Flow::kNormal;
      }
      case Stmt::Kind::kCallBlock: {
        const Expr& call = *s.expr;
        Value callee = eval(*call.items[0], scope);
        CallArgs args = eval_args(call.args, scope);
        auto caller = std::make_shared<Callable>();
        caller->name = "caller";
        caller->macro = s.macro.get();
        caller->closure = scope;
        args.keyword.emplace_back("caller", Value::callable(std::move(caller)));
        write(out, this->call(callee, args).str());
        return Flow::kNormal;
      }
      case Stmt::Kind::kFilterBlock: {
        std::string captured;
        exec_body(s.bodies[0], scope, captured);
        write(out, eval_filters(s.filters, Value(std::move(captured)), scope).str());
        return Flow::kNormal;
      }
      case Stmt::Kind::kWith: {
        auto inner = child(scope);
        for (const auto& [name, e] : s.assignments) inner->vars.set(name, eval(*e, scope));
        return exec_body(s.bodies[0], inner, out);
      }
      case Stmt::Kind::kScope:
        return exec_body(s.bodies[0], scope, out);
      case Stmt::Kind::kBreak:
        return Flow::kBreak;
      case Stmt::Kind::kContinue:
        return Flow::kContinue;
    }
  } catch (const ValueError& e) {
    throw TemplateError(s.line, s.column, e.what());
  }
  return Flow::kNormal;
}

void Interpreter::exec_for(const Stmt& s, const std::shared_ptr<Scope>& scope, std::string& out,
                           Flow& flow) {
  std::vector<Value> items = iterate(eval(*s.expr, scope));
  if (s.condition) {
    std::vector<Value> kept;
    for (Value& item : items) {
      auto probe = child(scope);
      assign(s.target, item, probe);
      if (eval(*s.condition, probe).truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  const int64_t n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < n; ++i) {
    if (++iterations_ > limits_.max_loop_iterations)
      throw ValueError("template exceeded " + std::to_string(limits_.max_loop_iterations) +
                       " loop iterations");
    auto inner = child(scope);
    assign(s.target, items[i], inner);
    auto cycle = std::make_shared<Callable>();
    cycle->name = "cycle";
    cycle->builtin = [i](Interpreter&, CallArgs& a) -> Value {
      if (a.positional.empty()) throw ValueError("no items for cycling given");
      return a.positional[static_cast<size_t>(i) % a.positional.size()];
    };
    inner->vars.set("loop",
                    Value::object({
                        {"index", Value(i + 1)},
                        {"index0", Value(i)},
                        {"revindex", Value(n - i)},
                        {"revindex0", Value(n - i - 1)},
                        {"first", Value(i == 0)},
                        {"last", Value(i == n - 1)},
                        {"length", Value(n)},
                        {"depth", Value(1)},
                        {"depth0", Value(0)},
                        {"previtem", i > 0 ? items[i - 1] : Value::undefined("previtem")},
                        {"nextitem", i + 1 < n ? items[i + 1] : Value::undefined("nextitem")},
                        {"cycle", Value::callable(std::move(cycle))},
                    }));
    Flow f = exec_body(s.bodies[0], inner, out);
    if (f == Flow::kBreak) break;
  }
  if (n == 0) flow = exec_body(s.else_body, scope, out);
}

void Interpreter::assign(const Target& t, Value v, const std::shared_ptr<Scope>& scope) {
  if (!t.attr.empty()) {
    const Value* obj = scope->find(t.names[0]);
    if (!obj || !obj->is_namespace())
      throw ValueError("can only assign attributes of a namespace ('" + t.names[0] +
                       "' is not one)");
    obj->as_namespace().attrs.set(t.attr, std::move(v));
    return;
  }
  if (!t.is_tuple) {
    scope->vars.set(t.names[0], std::move(v));
    return;
  }
  std::vector<Value> parts = iterate(v);
  if (parts.size() != t.names.size()) {
    throw ValueError(
        parts.size() < t.names.size()
            ? "not enough values to unpack (expected " + std::to_string(t.names.size()) + ", got " +
                  std::to_string(parts.size()) + ")"
            : "too many values to unpack (expected " + std::to_string(t.names.size()) + ")");
  }
  for (size_t i = 0; i < parts.size(); ++i) scope->vars.set(t.names[i], std::move(parts[i]));
}

Value Interpreter::lookup(const std::string& name, const std::shared_ptr<Scope>& scope) {
  if (const Value* v = scope->find(name)) return *v;
  return Value::undefined(name);
}

CallArgs Interpreter::eval_args(const Args& a, const std::shared_ptr<Scope>& scope) {
  CallArgs out;
  for (const auto& e : a.positional) out.positional.push_back(eval(*e, scope));
  for (const auto& [k, e] : a.keyword) out.keyword.emplace_back(k, eval(*e, scope));
  return out;
}

Value Interpreter::eval_filters(const std::vector<FilterCall>& filters, Value v,
                                const std::shared_ptr<Scope>& scope) {
  for (const FilterCall& f : filters) {
    try {
      CallArgs args = eval_args(f.args, scope);
      v = apply_filter(f.name, v, args);
    } catch (const ValueError& e) {
      throw TemplateError(f.line, f.column, e.what());
    }
  }
  return v;
}

Value Interpreter::apply_filter(const std::string& name, const Value& input, CallArgs& args) {
  FilterFn f = find_filter(name);
  if (!f) throw ValueError("no filter named '" + name + "'");
  charge(1);
  return f(*this, input, args);
}

bool Interpreter::apply_test(const std::string& name, const Value& input, CallArgs& args) {
  TestFn t = find_test(name);
  if (!t) throw ValueError("no test named '" + name + "'");
  charge(1);
  return t(*this, input, args);
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) undefined_error(callee);
  if (!callee.is_callable())
    throw ValueError("'" + callee.type_name() + "' object is not callable");
  const Callable& c = callee.as_callable();
  charge(1);
  if (c.macro) return call_macro(c, args);
  return c.builtin(*this, args);
}

Value Interpreter::call_macro(const Callable& c, CallArgs& args) {
  const MacroDef& m = *c.macro;
  if (call_depth_ >= limits_.max_call_depth)
    throw ValueError("macro calls nest deeper than " + std::to_string(limits_.max_call_depth));
  std::shared_ptr<Scope> parent = c.closure ? std::static_pointer_cast<Scope>(c.closure) : root_;
  auto scope = child(parent);
  if (args.positional.size() > m.params.size())
    throw ValueError("macro '" + m.name + "' takes not more than " +
                     std::to_string(m.params.size()) + " argument(s)");
  std::vector<bool> bound(m.params.size(), false);
  for (size_t i = 0; i < args.positional.size(); ++i)
    scope->vars.set(m.params[i], args.positional[i]), bound[i] = true;
  for (auto& [k, v] : args.keyword) {
    size_t i = 0;
    while (i < m.params.size() && m.params[i] != k) ++i;
    if (i == m.params.size()) {
      if (k == "caller") {
        scope->vars.set("caller", v);
        continue;
      }
      throw ValueError("macro '" + m.name + "' takes no keyword argument '" + k + "'");
    }
    if (bound[i])
      throw ValueError("macro '" + m.name + "' got multiple values for argument '" + k + "'");
    scope->vars.set(k, v), bound[i] = true;
  }
  ++call_depth_;
  struct Restore {
    int& d;
    ~Restore() { --d; }
  } restore{call_depth_};
  for (size_t i = 0; i < m.params.size(); ++i) {
    if (bound[i]) continue;
    scope->vars.set(m.params[i],
                    m.defaults[i] ? eval(*m.defaults[i], scope) : Value::undefined(m.params[i]));
  }
  std::string out;
  exec_body(m.body, scope, out);
  return Value(std::move(out));
}

Value Interpreter::eval(const Expr& e, const std::shared_ptr<Scope>& scope) {
  try {
    charge(1);
    Value v = eval_inner(e, scope);
    if (builds(e.kind)) charge_built(own_bytes(v));
    return v;
  } catch (const ValueError& err) {
    throw TemplateError(e.line, e.column, err.what());
  }
}

Value Interpreter::eval_inner(const Expr& e, const std::shared_ptr<Scope>& scope) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal;
    case Expr::Kind::kName:
      return lookup(e.name, scope);
    case Expr::Kind::kList:
    case Expr::Kind::kTuple: {
      std::vector<Value> items;
      for (const auto& x : e.items) items.push_back(eval(*x, scope));
      return Value::array(std::move(items), e.kind == Expr::Kind::kTuple);
    }
    case Expr::Kind::kDict: {
      std::vector<std::pair<std::string, Value>> items;
      for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
        Value k = eval(*e.items[i], scope);
        if (!k.is_string()) throw ValueError("only string keys are supported in dict literals");
        items.emplace_back(k.as_string(), eval(*e.items[i + 1], scope));
      }
      return Value::object(std::move(items));
    }
    case Expr::Kind::kGetAttr:
      return get_attr(eval(*e.items[0], scope), e.name);
    case Expr::Kind::kGetItem:
      return get_item(eval(*e.items[0], scope), eval(*e.items[1], scope));
    case Expr::Kind::kSlice: {
      Value seq = eval(*e.items[0], scope);
      Value parts[3];
      for (int i = 0; i < 3; ++i)
        parts[i] = e.items[i + 1] ? eval(*e.items[i + 1], scope) : Value::none();
      return slice(seq, parts[0], parts[1], parts[2]);
    }
    case Expr::Kind::kCall: {
      Value callee = eval(*e.items[0], scope);
      CallArgs args = eval_args(e.args, scope);
      return call(callee, args);
    }
    case Expr::Kind::kFilter: {
      Value input = eval(*e.items[0], scope);
      CallArgs args = eval_args(e.filter.args, scope);
      return apply_filter(e.filter.name, input, args);
    }
    case Expr::Kind::kTest: {
      Value input = eval(*e.items[0], scope);
      CallArgs args = eval_args(e.args, scope);
      return Value(apply_test(e.name, input, args) != e.negated);
    }
    case Expr::Kind::kUnary: {
      Value v = eval(*e.items[0], scope);
      if (e.name == "not") return Value(!v.truthy());
      if (e.name == "-") return unary_minus(v);
      if (!v.is_number()) throw ValueError("bad operand type for unary +: '" + v.type_name() + "'");
      return v.is_bool() ? Value(v.to_int()) : v;
    }
    case Expr::Kind::kBinary: {
      if (e.name == "and") {
        Value a = eval(*e.items[0], scope);
        return a.truthy() ? eval(*e.items[1], scope) : a;
      }
      if (e.name == "or") {
        Value a = eval(*e.items[0], scope);
        return a.truthy() ? a : eval(*e.items[1], scope);
      }
      Value a = eval(*e.items[0], scope);
      Value b = eval(*e.items[1], scope);
      return binary_op(*this, e.name, a, b);
    }
    case Expr::Kind::kCompare: {
      Value left = eval(*e.items[0], scope);
      for (size_t i = 0; i < e.ops.size(); ++i) {
        Value right = eval(*e.items[i + 1], scope);
        const std::string& op = e.ops[i];
        bool r;
        if (op == "==")
          r = equal(left, right);
        else if (op == "!=")
          r = !equal(left, right);
        else if (op == "in")
          r = contains(right, left);
        else if (op == "notin")
          r = !contains(right, left);
        else {
          int c = compare(left, right);
          r = op == "<" ? c < 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : c >= 0;
        }
        if (!r) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case Expr::Kind::kCondition:
      if (eval(*e.items[0], scope).truthy()) return eval(*e.items[1], scope);
      return e.items[2] ? eval(*e.items[2], scope) : Value::undefined();
  }
  return Value::undefined();
}

}  // namespace junction::jinja
