// Jinja parser: recursive descent over the token list, mirroring jinja2/parser.py.
#include "chat/jinja/parser.h"

#include <initializer_list>
#include <set>

#include "chat/jinja/error.h"

namespace junction::jinja {
namespace {

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

  Body parse_template() {
    std::string end;
    Body body = parse_body({}, end);
    return body;
  }

 private:
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxParseDepth)
        p.fail(p.cur(), "template nests deeper than " + std::to_string(kMaxParseDepth) + " levels");
    }
    ~DepthGuard() { --p.depth_; }
  };

  const Token& cur() const { return t_[pos_]; }
  const Token& next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }

  [[noreturn]] void fail(const Token& tok, const std::string& msg) {
    throw TemplateError(tok.line, tok.column, msg);
  }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case TokenType::kText:
        return "template data";
      case TokenType::kVariableBegin:
        return "'{{'";
      case TokenType::kVariableEnd:
        return "'}}'";
      case TokenType::kBlockBegin:
        return "'{%'";
      case TokenType::kBlockEnd:
        return "'%}'";
      case TokenType::kName:
        return "'" + t.text + "'";
      case TokenType::kString:
        return "string";
      case TokenType::kInteger:
      case TokenType::kFloat:
        return "number";
      case TokenType::kOperator:
        return "'" + t.text + "'";
      case TokenType::kEof:
        return "end of template";
    }
    return "?";
  }

  bool is_op(const char* op) const {
    return cur().type == TokenType::kOperator && cur().text == op;
  }
  bool is_name(const char* name) const {
    return cur().type == TokenType::kName && cur().text == name;
  }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) fail(cur(), std::string("expected '") + op + "', got " + describe(cur()));
  }
  std::string expect_name() {
    if (cur().type != TokenType::kName) fail(cur(), "expected a name, got " + describe(cur()));
    return next().text;
  }
  void expect_block_end() {
    if (cur().type != TokenType::kBlockEnd)
      fail(cur(), "expected end of statement '%}', got " + describe(cur()));
    next();
  }

  ExprPtr make(Expr::Kind kind, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = at.line;
    e->column = at.column;
    return e;
  }

  // ---- statements ----

  // Parses until a `{% name %}` with name in `ends`; leaves the cursor on that name and stores it.
  Body parse_body(std::initializer_list<const char*> ends, std::string& found) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& tok = cur();
      if (tok.type == TokenType::kEof) {
        if (ends.size() == 0) return body;
        std::string names;
        for (const char* e : ends)
          names += std::string(names.empty() ? "" : " or ") + "'" + e + "'";
        fail(tok, "unexpected end of template, expected " + names);
      }
      if (tok.type == TokenType::kText) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kText;
        s->line = tok.line, s->column = tok.column;
        s->text = tok.text;
        body.push_back(std::move(s));
        next();
      } else if (tok.type == TokenType::kVariableBegin) {
        next();
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kOutput;
        s->line = tok.line, s->column = tok.column;
        s->expr = parse_tuple(true);
        if (cur().type != TokenType::kVariableEnd)
          fail(cur(), "expected '}}', got " + describe(cur()));
        next();
        body.push_back(std::move(s));
      } else if (tok.type == TokenType::kBlockBegin) {
        next();
        if (cur().type != TokenType::kName)
          fail(cur(), "expected a statement name, got " + describe(cur()));
        for (const char* e : ends) {
          if (cur().text == e) {
            found = e;
            return body;
          }
        }
        body.push_back(parse_statement(tok));
      } else {
        fail(tok, "unexpected " + describe(tok));
      }
    }
  }

  StmtPtr make_stmt(Stmt::Kind kind, const Token& at) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = at.line, s->column = at.column;
    return s;
  }

  StmtPtr parse_statement(const Token& begin) {
    const Token& name_tok = cur();
    std::string name = next().text;
    if (name == "if") return parse_if(begin);
    if (name == "for") return parse_for(begin);
    if (name == "set") return parse_set(begin);
    if (name == "macro") return parse_macro(begin);
    if (name == "call") return parse_call_block(begin);
    if (name == "filter") return parse_filter_block(begin);
    if (name == "with") return parse_with(begin);
    if (name == "generation") {
      expect_block_end();
      auto s = make_stmt(Stmt::Kind::kScope, begin);
      std::string end;
      s->bodies.push_back(parse_body({"endgeneration"}, end));
      next();
      expect_block_end();
      return s;
    }
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) fail(name_tok, "'" + name + "' outside of a loop");
      expect_block_end();
      return make_stmt(name == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue, begin);
    }
    fail(name_tok, "unknown or unsupported statement '" + name + "'");
  }

  StmtPtr parse_if(const Token& begin) {
    auto s = make_stmt(Stmt::Kind::kIf, begin);
    s->conditions.push_back(parse_tuple(false));
    expect_block_end();
    while (true) {
      std::string end;
      Body body = parse_body({"elif", "else", "endif"}, end);
      s->bodies.push_back(std::move(body));
      next();
      if (end == "elif") {
        s->conditions.push_back(parse_tuple(false));
        expect_block_end();
      } else if (end == "else") {
        expect_block_end();
        s->else_body = parse_body({"endif"}, end);
        next();
        expect_block_end();
        return s;
      } else {
        expect_block_end();
        return s;
      }
    }
  }

  Target parse_target(bool allow_attr, bool allow_tuple) {
    Target t;
    t.line = cur().line, t.column = cur().column;
    bool paren = allow_tuple && skip_op("(");
    t.names.push_back(expect_name());
    if (allow_attr && !paren && skip_op(".")) {
      t.attr = expect_name();
      return t;
    }
    while (allow_tuple && skip_op(",")) {
      t.is_tuple = true;
      if (cur().type != TokenType::kName) break;
      t.names.push_back(expect_name());
    }
    if (paren) expect_op(")"), t.is_tuple = true;
    return t;
  }

  StmtPtr parse_for(const Token& begin) {
    auto s = make_stmt(Stmt::Kind::kFor, begin);
    s->target = parse_target(false, true);
    if (!skip_name("in")) fail(cur(), "expected 'in', got " + describe(cur()));
    s->expr = parse_tuple(false, /*with_condexpr=*/false);
    if (skip_name("if")) s->condition = parse_expression(true);
    if (is_name("recursive")) fail(cur(), "recursive for loops are not supported");
    expect_block_end();
    ++loop_depth_;
    std::string end;
    s->bodies.push_back(parse_body({"else", "endfor"}, end));
    --loop_depth_;
    next();
    expect_block_end();
    if (end == "else") {
      s->else_body = parse_body({"endfor"}, end);
      next();
      expect_block_end();
    }
    return s;
  }

  StmtPtr parse_set(const Token& begin) {
    Target target = parse_target(true, true);
    if (skip_op("=")) {
      auto s = make_stmt(Stmt::Kind::kSet, begin);
      s->target = std::move(target);
      s->expr = parse_tuple(false);
      expect_block_end();
      return s;
    }
    auto s = make_stmt(Stmt::Kind::kSetBlock, begin);
    if (target.is_tuple) fail(cur(), "block set needs a single name");
    s->target = std::move(target);
    while (is_op("|")) s->filters.push_back(parse_filter_call());
    expect_block_end();
    std::string end;
    s->bodies.push_back(parse_body({"endset"}, end));
    next();
    expect_block_end();
    return s;
  }

  void parse_signature(MacroDef& m) {
    expect_op("(");
    while (!is_op(")")) {
      if (!m.params.empty()) expect_op(",");
      if (is_op(")")) break;
      m.params.push_back(expect_name());
      m.defaults.push_back(skip_op("=") ? parse_expression(true) : nullptr);
    }
    expect_op(")");
  }

  StmtPtr parse_macro(const Token& begin) {
    auto s = make_stmt(Stmt::Kind::kMacro, begin);
    s->macro = std::make_shared<MacroDef>();
    s->macro->name = expect_name();
    parse_signature(*s->macro);
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    s->macro->body = parse_body({"endmacro"}, end);
    loop_depth_ = saved;
    next();
    if (cur().type == TokenType::kName) next();  // {% endmacro name %}
    expect_block_end();
    return s;
  }

  StmtPtr parse_call_block(const Token& begin) {
    auto s = make_stmt(Stmt::Kind::kCallBlock, begin);
    s->macro = std::make_shared<MacroDef>();
    s->macro->name = "caller";
    if (is_op("(")) parse_signature(*s->macro);
    s->expr = parse_expression(true);
    if (s->expr->kind != Expr::Kind::kCall) fail(cur(), "expected a call after 'call'");
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    s->macro->body = parse_body({"endcall"}, end);
    loop_depth_ = saved;
    next();
    expect_block_end();
    return s;
  }

  StmtPtr parse_filter_block(const Token& begin) {
    auto s = make_stmt(Stmt::Kind::kFilterBlock, begin);
    s->filters.push_back(parse_filter_call(/*leading_pipe=*/false));
    while (is_op("|")) s->filters.push_back(parse_filter_call());
    expect_block_end();
    std::string end;
    s->bodies.push_back(parse_body({"endfilter"}, end));
    next();
    expect_block_end();
    return s;
  }

  StmtPtr parse_with(const Token& begin) {
    auto s = make_stmt(Stmt::Kind::kWith, begin);
    while (cur().type != TokenType::kBlockEnd) {
      if (!s->assignments.empty()) expect_op(",");
      std::string name = expect_name();
      expect_op("=");
      s->assignments.emplace_back(name, parse_expression(true));
    }
    expect_block_end();
    std::string end;
    s->bodies.push_back(parse_body({"endwith"}, end));
    next();
    expect_block_end();
    return s;
  }

  // ---- expressions ----

  // A comma-separated list becomes a tuple (`{{ a, b }}`, `for x in a, b`).
  ExprPtr parse_tuple(bool allow_empty_end, bool with_condexpr = true) {
    const Token& start = cur();
    ExprPtr first = parse_expression(with_condexpr);
    if (!is_op(",")) return first;
    auto tuple = make(Expr::Kind::kTuple, start);
    tuple->items.push_back(std::move(first));
    while (skip_op(",")) {
      if (cur().type == TokenType::kBlockEnd || cur().type == TokenType::kVariableEnd ||
          is_name("in") || is_name("if"))
        break;
      tuple->items.push_back(parse_expression(with_condexpr));
    }
    return tuple;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(*this);
    if (!with_condexpr) return parse_or();
    const Token& start = cur();
    ExprPtr expr = parse_or();
    while (skip_name("if")) {
      auto cond = make(Expr::Kind::kCondition, start);
      cond->items.push_back(parse_or());
      cond->items.push_back(std::move(expr));
      cond->items.push_back(skip_name("else") ? parse_expression(true) : nullptr);
      expr = std::move(cond);
    }
    return expr;
  }

  ExprPtr binary(const Token& at, const std::string& op, ExprPtr a, ExprPtr b) {
    auto e = make(Expr::Kind::kBinary, at);
    e->name = op;
    e->items.push_back(std::move(a));
    e->items.push_back(std::move(b));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const Token& at = next();
      left = binary(at, "or", std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const Token& at = next();
      left = binary(at, "and", std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      const Token& at = next();
      auto e = make(Expr::Kind::kUnary, at);
      e->name = "not";
      e->items.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Token& start = cur();
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().type == TokenType::kOperator &&
          (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == ">" ||
           cur().text == "<=" || cur().text == ">=")) {
        op = next().text;
      } else if (skip_name("in")) {
        op = "in";
      } else if (is_name("not") && pos_ + 1 < t_.size() && t_[pos_ + 1].type == TokenType::kName &&
                 t_[pos_ + 1].text == "in") {
        next(), next();
        op = "notin";
      } else {
        break;
      }
      if (!cmp) {
        cmp = make(Expr::Kind::kCompare, start);
        cmp->items.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->items.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& at = next();
      left = binary(at, at.text, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      const Token& at = next();
      left = binary(at, "~", std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& at = next();
      left = binary(at, at.text, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      const Token& at = next();
      left = binary(at, "**", std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& at = next();
      node = make(Expr::Kind::kUnary, at);
      node->name = at.text;
      node->items.push_back(parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& tok = cur();
    switch (tok.type) {
      case TokenType::kName: {
        next();
        auto e = make(Expr::Kind::kLiteral, tok);
        if (tok.text == "true" || tok.text == "True") {
          e->literal = Value(true);
        } else if (tok.text == "false" || tok.text == "False") {
          e->literal = Value(false);
        } else if (tok.text == "none" || tok.text == "None") {
          e->literal = Value::none();
        } else {
          e->kind = Expr::Kind::kName;
          e->name = tok.text;
        }
        return e;
      }
      case TokenType::kString: {
        std::string s;
        while (cur().type == TokenType::kString) s += next().text;
        auto e = make(Expr::Kind::kLiteral, tok);
        e->literal = Value(std::move(s));
        return e;
      }
      case TokenType::kInteger: {
        next();
        auto e = make(Expr::Kind::kLiteral, tok);
        e->literal = Value(tok.int_value);
        return e;
      }
      case TokenType::kFloat: {
        next();
        auto e = make(Expr::Kind::kLiteral, tok);
        e->literal = Value(tok.float_value);
        return e;
      }
      case TokenType::kOperator:
        if (tok.text == "(") {
          next();
          if (skip_op(")")) return make(Expr::Kind::kTuple, tok);
          ExprPtr first = parse_expression(true);
          if (skip_op(")")) return first;
          auto tuple = make(Expr::Kind::kTuple, tok);
          tuple->items.push_back(std::move(first));
          while (skip_op(",")) {
            if (is_op(")")) break;
            tuple->items.push_back(parse_expression(true));
          }
          expect_op(")");
          return tuple;
        }
        if (tok.text == "[") {
          next();
          auto list = make(Expr::Kind::kList, tok);
          while (!is_op("]")) {
            if (!list->items.empty()) expect_op(",");
            if (is_op("]")) break;
            list->items.push_back(parse_expression(true));
          }
          expect_op("]");
          return list;
        }
        if (tok.text == "{") {
          next();
          auto dict = make(Expr::Kind::kDict, tok);
          while (!is_op("}")) {
            if (!dict->items.empty()) expect_op(",");
            if (is_op("}")) break;
            dict->items.push_back(parse_expression(true));
            expect_op(":");
            dict->items.push_back(parse_expression(true));
          }
          expect_op("}");
          return dict;
        }
        break;
      default:
        break;
    }
    fail(tok, "unexpected " + describe(tok));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      const Token& at = cur();
      if (is_op(".")) {
        next();
        auto e = make(Expr::Kind::kGetAttr, at);
        if (cur().type == TokenType::kName) {
          e->name = next().text;
        } else if (cur().type == TokenType::kInteger) {
          e->kind = Expr::Kind::kGetItem;
          auto idx = make(Expr::Kind::kLiteral, cur());
          idx->literal = Value(next().int_value);
          e->items.push_back(std::move(node));
          e->items.push_back(std::move(idx));
          node = std::move(e);
          continue;
        } else {
          fail(cur(), "expected an attribute name, got " + describe(cur()));
        }
        e->items.push_back(std::move(node));
        node = std::move(e);
      } else if (is_op("[")) {
        next();
        node = parse_subscript(at, std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(const Token& at, ExprPtr node) {
    ExprPtr parts[3];
    bool slice = false;
    if (!is_op(":")) parts[0] = parse_expression(true);
    if (skip_op(":")) {
      slice = true;
      if (!is_op("]") && !is_op(":")) parts[1] = parse_expression(true);
      if (skip_op(":") && !is_op("]")) parts[2] = parse_expression(true);
    } else if (is_op(",")) {
      fail(cur(), "tuple subscripts are not supported");
    }
    expect_op("]");
    auto e = make(slice ? Expr::Kind::kSlice : Expr::Kind::kGetItem, at);
    e->items.push_back(std::move(node));
    if (slice) {
      for (auto& p : parts) e->items.push_back(std::move(p));
    } else {
      if (!parts[0]) fail(at, "empty subscript");
      e->items.push_back(std::move(parts[0]));
    }
    return e;
  }

  Args parse_args() {
    Args args;
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (is_op("*") || is_op("**")) fail(cur(), "*args and **kwargs in calls are not supported");
      if (cur().type == TokenType::kName && pos_ + 1 < t_.size() &&
          t_[pos_ + 1].type == TokenType::kOperator && t_[pos_ + 1].text == "=") {
        std::string name = next().text;
        next();
        args.keyword.emplace_back(name, parse_expression(true));
      } else {
        if (!args.keyword.empty()) fail(cur(), "positional argument after keyword argument");
        args.positional.push_back(parse_expression(true));
      }
    }
    expect_op(")");
    return args;
  }

  ExprPtr parse_call(ExprPtr node) {
    auto e = make(Expr::Kind::kCall, cur());
    e->args = parse_args();
    e->items.push_back(std::move(node));
    return e;
  }

  FilterCall parse_filter_call(bool leading_pipe = true) {
    if (leading_pipe) expect_op("|");
    FilterCall f;
    f.line = cur().line, f.column = cur().column;
    f.name = expect_name();
    while (is_op(".")) next(), f.name += "." + expect_name();
    if (is_op("(")) f.args = parse_args();
    return f;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        auto e = make(Expr::Kind::kFilter, cur());
        e->filter = parse_filter_call();
        e->line = e->filter.line, e->column = e->filter.column;
        e->items.push_back(std::move(node));
        node = std::move(e);
      } else if (is_name("is")) {
        auto e = make(Expr::Kind::kTest, cur());
        next();
        e->negated = skip_name("not");
        e->name = expect_name();
        while (is_op(".")) next(), e->name += "." + expect_name();
        const Token& c = cur();
        if (is_op("(")) {
          e->args = parse_args();
        } else if ((c.type == TokenType::kName || c.type == TokenType::kString ||
                    c.type == TokenType::kInteger || c.type == TokenType::kFloat || is_op("[") ||
                    is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
          if (is_name("is")) fail(c, "You cannot chain multiple tests with is");
          e->args.positional.push_back(parse_postfix(parse_primary()));
        }
        e->items.push_back(std::move(node));
        node = std::move(e);
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  const std::vector<Token>& t_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens) {
  return Parser(tokens).parse_template();
}

}  // namespace junction::jinja
