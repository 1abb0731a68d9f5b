// Lookup of the builtin filters (filters.cc), tests (tests.cc), str/dict/list methods
// (methods.cc) and global functions (globals.cc).
#pragma once

#include <string>
#include <string_view>

#include "chat/jinja/value.h"

namespace junction::jinja {

class Interpreter;

using FilterFn = Value (*)(Interpreter&, const Value& input, CallArgs& args);
using TestFn = bool (*)(Interpreter&, const Value& input, CallArgs& args);

// nullptr when there is no such filter / test.
FilterFn find_filter(std::string_view name);
TestFn find_test(std::string_view name);

// `obj.name` as a bound method of a str, dict or list; undefined if `name` is no method.
Value bound_method(const Value& obj, const std::string& name);

// range, dict, namespace, raise_exception, strftime_now, ...
void add_globals(ObjectMap& globals);

}  // namespace junction::jinja
