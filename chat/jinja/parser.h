// Jinja parser: tokens -> statement tree, following the grammar of jinja2/parser.py (operator
// precedence, filters binding tighter than arithmetic, tests, `a if c else b`). Nesting is
// bounded so hostile templates cannot overflow the stack.
#pragma once

#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/lexer.h"

namespace junction::jinja {

// Deepest nesting of expressions and blocks the parser accepts.
inline constexpr int kMaxParseDepth = 200;

// Throws TemplateError with the position of the offending token.
Body parse(const std::vector<Token>& tokens);

}  // namespace junction::jinja
