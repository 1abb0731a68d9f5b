// `${NAME}` substitution in configuration text, as shells and docker-compose do it: `${NAME}`
// becomes the variable's value, `${NAME:-default}` falls back when it is unset or empty, `$$`
// is a literal `$`. An unset variable without a default is an error naming it, so a missing
// secret stops start-up instead of becoming an empty API key. Pure: the lookup is injected.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace junction::gateway {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup process_env();

// Throws junction::Error("${NAME} is not set") for an unset variable without a default.
std::string expand_env(std::string_view text, const EnvLookup& env);

}  // namespace junction::gateway
