// Syntax tree of a parsed template: expressions (Expr) and statements (Stmt). Every node keeps
// the line and column it starts at, for error messages. One struct per category with a kind tag
// keeps the evaluator a pair of switches.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja/value.h"

namespace junction::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Args {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
};

// `|name(args)` applied to a value.
struct FilterCall {
  std::string name;
  Args args;
  int line = 1, column = 1;
};

struct Expr {
  enum class Kind {
    kLiteral,    // literal
    kName,       // name
    kList,       // items
    kTuple,      // items
    kDict,       // items: key, value, key, value...
    kGetAttr,    // items[0].name
    kGetItem,    // items[0][items[1]]
    kSlice,      // items[0][items[1]:items[2]:items[3]] (null parts allowed)
    kCall,       // items[0](args)
    kFilter,     // items[0] | filter
    kTest,       // items[0] is [not] name(args)
    kUnary,      // op items[0]: "-", "+", "not"
    kBinary,     // items[0] op items[1]: + - * / // % ** ~ and or
    kCompare,    // items[0] ops[0] items[1] ops[1] items[2]...: == != < > <= >= in notin
    kCondition,  // items[1] if items[0] else items[2] (items[2] may be null)
  };
  Kind kind;
  int line = 1, column = 1;
  Value literal;
  std::string name;  // name, attribute, operator, test name
  std::vector<ExprPtr> items;
  std::vector<std::string> ops;
  Args args;
  FilterCall filter;
  bool negated = false;  // for kTest
};

// Assignment target of for/set: a name, `ns.attr`, or a tuple of names.
struct Target {
  std::vector<std::string> names;  // one name, or several for unpacking
  std::string attr;                // non-empty for `name.attr`
  bool is_tuple = false;
  int line = 1, column = 1;
};

struct MacroDef {
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // parallel to params; null where none
  Body body;
};

struct Stmt {
  enum class Kind {
    kText,         // text
    kOutput,       // {{ expr }}
    kIf,           // conditions[i] -> bodies[i]; else_body
    kFor,          // for target in expr [if condition]: bodies[0]; else_body
    kSet,          // set target = expr
    kSetBlock,     // set target [| filters] ... endset: bodies[0]
    kMacro,        // macro
    kCallBlock,    // call(macro params) expr: macro.body is the caller body
    kFilterBlock,  // filter filters ... endfilter: bodies[0]
    kWith,         // with name = expr, ...: bodies[0]
    kScope,        // a block that only groups (generation): bodies[0]
    kBreak,
    kContinue,
  };
  Kind kind;
  int line = 1, column = 1;
  std::string text;
  ExprPtr expr;
  ExprPtr condition;
  std::vector<ExprPtr> conditions;
  std::vector<Body> bodies;
  Body else_body;
  Target target;
  std::vector<FilterCall> filters;
  std::vector<std::pair<std::string, ExprPtr>> assignments;  // kWith
  std::shared_ptr<MacroDef> macro;
};

}  // namespace junction::jinja
