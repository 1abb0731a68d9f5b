// Errors of the Jinja interpreter. TemplateError is what callers see: a junction::Error whose
// message names the template line and column. ValueError is internal: builtins (filters, tests,
// methods) throw it without a position and the evaluator rethrows it as a TemplateError at the
// expression being evaluated.
#pragma once

#include <stdexcept>
#include <string>

#include "core/error.h"

namespace junction::jinja {

class TemplateError : public junction::Error {
 public:
  TemplateError(int line, int column, const std::string& message)
      : junction::Error("chat template error at line " + std::to_string(line) + ", column " +
                        std::to_string(column) + ": " + message),
        line_(line),
        column_(column),
        detail_(message) {}
  int line() const { return line_; }
  int column() const { return column_; }
  // The message without the position prefix (for raise_exception: the template's own text).
  const std::string& detail() const { return detail_; }

 private:
  int line_;
  int column_;
  std::string detail_;
};

class ValueError : public std::runtime_error {
 public:
  explicit ValueError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace junction::jinja
