// The comparison as one self-contained HTML page: the table (best value per column marked,
// notes linked), a bar chart per quality benchmark, latency-vs-throughput curves across the
// sweep levels, and each model's sweep in detail. CSS, the SVG charts and the few lines of
// script (sorting the table by a column) are inline: the file opens offline, from disk, with
// nothing fetched. Light and dark themes follow the reader's system setting.
#pragma once

#include <string>
#include <vector>

#include "compare/comparison.h"

namespace junction::compare {

struct HtmlReportOptions {
  std::string title = "Model comparison";
  std::string generated_at;  // shown under the title ("2025-06-01T12:00:00Z"); empty: left out
};

// The colour of the i-th model in every chart (a colour-blind-safe palette, then repeats).
std::string model_color(size_t i);

std::string render_html(const Comparison& c, const HtmlReportOptions& options);

}  // namespace junction::compare
