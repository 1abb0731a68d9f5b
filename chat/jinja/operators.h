// Python semantics of Jinja's operators: arithmetic (+ - * / // % **, with int/float rules and
// overflow checks), `~`, `in`, and slicing.
#pragma once

#include <optional>
#include <string>

#include "chat/jinja/value.h"

namespace junction::jinja {

class Interpreter;

// op is one of + - * / // % ** ~ ; throws ValueError on type errors, division by zero,
// integer overflow, or results past the interpreter's size limits.
Value binary_op(Interpreter& in, const std::string& op, const Value& a, const Value& b);
Value unary_minus(const Value& v);
// Python `needle in haystack`.
bool contains(const Value& haystack, const Value& needle);
// Python seq[start:stop:step] on lists, tuples and strings.
Value slice(const Value& seq, const Value& start, const Value& stop, const Value& step);

}  // namespace junction::jinja
