// Inline SVG charts for the HTML report, drawn here so the report needs no script library and
// no network: horizontal bar charts (one bar per model) and line charts (latency against
// throughput, one line per model, one point per sweep level). Geometry is in viewBox units; the
// page's CSS styles the classes (axis, grid, label) so the charts follow its light/dark theme.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace junction::compare {

// &, <, >, " and ' as entities.
std::string xml_escape(const std::string& s);

// Round tick values from 0 to at least `max` (>= 0): steps of 1, 2 or 5 times a power of ten,
// about `target` of them. {0, 1} when max is 0.
std::vector<double> nice_ticks(double max, int target);

struct Bar {
  std::string label;
  std::optional<double> value;  // nullopt: drawn as "not measured"
  std::optional<double> error;  // +- half-width of a whisker (stderr), same unit
  std::string color;            // CSS color
};
// `decimals` digits in the value labels; `max` fixes the axis (100 for percentages).
std::string svg_bar_chart(const std::vector<Bar>& bars, const std::string& unit, int decimals,
                          std::optional<double> max);

struct SeriesPoint {
  double x = 0, y = 0;
  std::string tag;  // "c=4", printed beside the point
};
struct Series {
  std::string label, color;
  std::vector<SeriesPoint> points;  // joined in order
};
std::string svg_line_chart(const std::vector<Series>& series, const std::string& x_label,
                           const std::string& y_label);

}  // namespace junction::compare
