// Jinja lexer: template source -> tokens, with jinja2's whitespace rules as HF configures them
// (trim_blocks, lstrip_blocks, keep_trailing_newline=False, `-`/`+` markers, newline
// normalisation). Raw blocks are returned as text. Tokens carry 1-based line and column (bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace junction::jinja {

enum class TokenType {
  kText,
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,
  kInteger,
  kFloat,
  kOperator,  // text holds the operator: + - * / // % ** ~ ( ) [ ] { } , . : | = == != < > <= >=
  kEof,
};

struct Token {
  TokenType type;
  std::string text;  // text data, name, decoded string literal or operator
  int64_t int_value = 0;
  double float_value = 0;
  int line = 1;
  int column = 1;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Throws TemplateError (with position) on unterminated tags, strings or comments.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& options = {});

}  // namespace junction::jinja
