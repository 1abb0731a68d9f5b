// The comparison as a Markdown table (one row per model: quality columns, latency, throughput,
// memory), "—" for cells nobody measured, "[n]" marks pointing at numbered notes below the
// table, and a legend saying what each column measures.
#pragma once

#include <string>
#include <vector>

#include "compare/comparison.h"

namespace junction::compare {

// The text of one cell as both reports show it ("62.3", "41.2 / 18.75", "812.3 (c=16)", "—"),
// without its note marks.
std::string cell_text(const Comparison& c, const ModelRow& row, size_t column);
// The notes of one cell, as footnote numbers.
std::vector<int> cell_notes(const Comparison& c, const ModelRow& row, size_t column);
// Headers of every column after "Model".
std::vector<std::string> table_headers(const Comparison& c);

std::string render_markdown(const Comparison& c);

}  // namespace junction::compare
