// Python string formatting: `fmt % args` (printf-style) and `fmt.format(*args, **kwargs)`,
// covering the conversions templates use (%s %r %d %i %f %e %g %x %o %c %%; {} {0} {name} with
// format specs for fill, align, sign, width, precision and the d/f/e/g/x/s types).
#pragma once

#include <string>

#include "chat/jinja/value.h"

namespace junction::jinja {

// `args` is a tuple for several values, anything else for one. Throws ValueError.
std::string percent_format(const std::string& fmt, const Value& args);
std::string str_format(const std::string& fmt, const CallArgs& args);

}  // namespace junction::jinja
