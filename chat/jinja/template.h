// Public entry point of junction's Jinja interpreter for HF chat templates: parse once, render
// many times. Configured like transformers' apply_chat_template (trim_blocks, lstrip_blocks,
// loop controls, HF's tojson, raise_exception, strftime_now). Templates are untrusted: parsing
// and rendering are bounded (see Limits) and every failure is a TemplateError, a
// junction::Error whose message carries the template line and column.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "chat/jinja/ast.h"
#include "chat/jinja/error.h"
#include "chat/jinja/lexer.h"
#include "chat/jinja/limits.h"
#include "chat/jinja/value.h"

namespace junction::jinja {

struct TemplateOptions {
  Limits limits;
  LexerOptions lexer;  // defaults are HF's
  // Local time for strftime_now(); empty means the system clock (localtime).
  std::function<std::tm()> now;
};

class Template {
 public:
  // Parses `source`. Throws TemplateError on syntax errors.
  explicit Template(std::string_view source, TemplateOptions options = {});

  // Renders with the given variables. Throws TemplateError.
  std::string render(const ObjectMap& context) const;
  // `context` must be a JSON object; its members become template variables.
  std::string render(const nlohmann::ordered_json& context) const;

 private:
  std::shared_ptr<const Body> body_;
  TemplateOptions options_;
};

}  // namespace junction::jinja
