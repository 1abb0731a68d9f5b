// RFC 4180 CSV as Python's csv.reader reads MMLU's files: comma-separated fields, double
// quotes around fields holding commas, quotes or newlines, "" for a quote inside them, rows
// ending in \n or \r\n. Not a general dialect sniffer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace junction::eval {

using CsvRow = std::vector<std::string>;

// Every row of `text`, the header included; a trailing newline makes no empty row. Throws
// junction::Error naming `where` on an unterminated quoted field.
std::vector<CsvRow> parse_csv(std::string_view text, const std::string& where);

}  // namespace junction::eval
