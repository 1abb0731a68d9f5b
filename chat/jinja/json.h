// The JSON boundary of the interpreter: nlohmann::ordered_json <-> Value (key order kept), and
// Python's json.dumps as HF's `tojson` filter calls it (ensure_ascii=False, Python's separators,
// Python float repr).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "chat/jinja/value.h"

namespace junction::jinja {

// Throws ValueError for JSON nested deeper than kMaxNesting.
Value from_json(const nlohmann::ordered_json& j);
// Throws ValueError for values JSON cannot hold (undefined, callables, namespaces).
nlohmann::ordered_json to_json(const Value& v);

struct DumpOptions {
  int indent = -1;  // < 0: single line; otherwise newline + indent spaces per level
  bool sort_keys = false;
  // Separators: Python's defaults are (", ", ": ") without indent and (",", ": ") with it.
  std::string item_separator;
  std::string key_separator = ": ";
  bool custom_item_separator = false;
};
std::string python_json_dumps(const Value& v, const DumpOptions& options);

}  // namespace junction::jinja
