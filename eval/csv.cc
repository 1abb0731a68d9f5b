#include "eval/csv.h"

#include "core/error.h"

namespace junction::eval {

std::vector<CsvRow> parse_csv(std::string_view text, const std::string& where) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false;       // inside a quoted field
  bool row_started = false;  // the current row has a field or a separator
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      row_started = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      row_started = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (row_started || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      field.clear();
      row.clear();
      row_started = false;
    } else {
      field += c;
      row_started = true;
    }
  }
  if (quoted) throw Error(where + ": a quoted field is never closed");
  if (row_started || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace junction::eval
