// The one exception type junction throws for bad input, bad files and refused options.
// Messages name the offending field or file and say what to do next; callers at the edges
// (CLI, HTTP) turn it into an exit code or an error response.
#pragma once

#include <stdexcept>
#include <string>

namespace junction {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace junction
