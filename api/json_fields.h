// Reading fields of a JSON object that came from outside, without throwing on a wrong type:
// the translations in this folder take what a field holds only when it has the expected type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace junction::api {

// The field, or null when it is absent or JSON null.
const nlohmann::ordered_json* field(const nlohmann::ordered_json& j, const char* name);
// An integer field's value; 0 when absent or not an integer.
int64_t count(const nlohmann::ordered_json& j, const char* name);
// A string field's value; empty when absent or not a string.
std::string string_or_empty(const nlohmann::ordered_json& j, const char* name);

}  // namespace junction::api
