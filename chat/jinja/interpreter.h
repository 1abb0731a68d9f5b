// The tree-walking evaluator: runs a parsed template against a context and produces text.
// Holds the per-render state (scopes, step counters, limits); one Interpreter per render.
// Builtins (filters, tests, methods, globals) receive it to call back into evaluation and to
// charge their work against the limits.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/limits.h"
#include "chat/jinja/value.h"

namespace junction::jinja {

struct Scope;

class Interpreter {
 public:
  // `now` returns the local time for strftime_now().
  Interpreter(const Limits& limits, std::function<std::tm()> now);
  ~Interpreter();

  // Renders `body` with the variables of `context`. Throws TemplateError.
  std::string render(const Body& body, const ObjectMap& context);

  // For builtins.
  Value call(const Value& callee, CallArgs& args);
  Value apply_filter(const std::string& name, const Value& input, CallArgs& args);
  bool apply_test(const std::string& name, const Value& input, CallArgs& args);
  void charge(int64_t steps);
  void charge_bytes(size_t bytes);  // also checks the size against max_output_bytes
  void check_items(size_t n);
  // Counts `bytes` against max_bytes_built; throws ValueError past it.
  void charge_built(size_t bytes);
  std::tm now() const { return now_(); }
  const Limits& limits() const { return limits_; }
  Value make_namespace(ObjectMap attrs);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  Flow exec_body(const Body& body, const std::shared_ptr<Scope>& scope, std::string& out);
  Flow exec(const Stmt& s, const std::shared_ptr<Scope>& scope, std::string& out);
  void exec_for(const Stmt& s, const std::shared_ptr<Scope>& scope, std::string& out, Flow& flow);
  void assign(const Target& t, Value v, const std::shared_ptr<Scope>& scope);
  void write(std::string& out, std::string_view text);

  Value eval(const Expr& e, const std::shared_ptr<Scope>& scope);
  Value eval_inner(const Expr& e, const std::shared_ptr<Scope>& scope);
  CallArgs eval_args(const Args& a, const std::shared_ptr<Scope>& scope);
  Value eval_filters(const std::vector<FilterCall>& filters, Value v,
                     const std::shared_ptr<Scope>& scope);
  Value lookup(const std::string& name, const std::shared_ptr<Scope>& scope);
  Value call_macro(const Callable& c, CallArgs& args);

  Limits limits_;
  std::function<std::tm()> now_;
  std::shared_ptr<Scope> root_;
  std::vector<std::weak_ptr<Namespace>> namespaces_;  // cleared after the render (cycles)
  int64_t steps_ = 0;
  int64_t iterations_ = 0;
  size_t bytes_built_ = 0;  // against limits_.max_bytes_built
  int call_depth_ = 0;
};

// Iterating a value the way a for loop does: list items, dict keys, string code points;
// undefined iterates as empty. Throws ValueError for non-iterables.
std::vector<Value> iterate(const Value& v);
// Attribute (`x.name`) and item (`x[key]`) access with jinja's fallbacks; undefined on miss.
Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);

}  // namespace junction::jinja
