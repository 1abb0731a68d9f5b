// Template: lex + parse at construction, one Interpreter per render.
#include "chat/jinja/template.h"

#include "chat/jinja/interpreter.h"
#include "chat/jinja/json.h"
#include "chat/jinja/parser.h"

namespace junction::jinja {
namespace {

std::tm system_local_time() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

}  // namespace

Template::Template(std::string_view source, TemplateOptions options)
    : options_(std::move(options)) {
  if (!options_.now) options_.now = system_local_time;
  try {
    body_ = std::make_shared<const Body>(parse(tokenize(source, options_.lexer)));
  } catch (const std::bad_alloc&) {
    throw TemplateError(1, 1, "out of memory while parsing");
  }
}

std::string Template::render(const ObjectMap& context) const {
  Interpreter interpreter(options_.limits, options_.now);
  return interpreter.render(*body_, context);
}

std::string Template::render(const nlohmann::ordered_json& context) const {
  if (!context.is_object()) throw TemplateError(1, 1, "render context must be a JSON object");
  ObjectMap vars;
  try {
    for (auto it = context.begin(); it != context.end(); ++it)
      vars.set(it.key(), from_json(it.value()));
  } catch (const ValueError& e) {
    throw TemplateError(1, 1, std::string("render context: ") + e.what());
  }
  return render(vars);
}

}  // namespace junction::jinja
