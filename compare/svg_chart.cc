#include "compare/svg_chart.h"

#include <algorithm>
#include <cmath>

namespace junction::compare {
namespace {

std::string num(double v) {  // coordinates: one decimal is plenty
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string tick_text(double v) {
  char buf[32];
  if (std::abs(v) >= 1000 && std::fmod(v, 1000) == 0)
    std::snprintf(buf, sizeof buf, "%gk", v / 1000);
  else
    std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string value_text(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char c : s) switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  return out;
}

std::vector<double> nice_ticks(double max, int target) {
  if (!(max > 0) || !std::isfinite(max)) return {0, 1};
  const double rough = max / std::max(1, target);
  const double mag = std::pow(10, std::floor(std::log10(rough)));
  double step = mag * 10;
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (rough <= m * mag * (1 + 1e-9)) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  for (int i = 0;; ++i) {
    const double t = step * i;
    ticks.push_back(t);
    if (t >= max * (1 - 1e-9)) break;
  }
  return ticks;
}

std::string svg_bar_chart(const std::vector<Bar>& bars, const std::string& unit, int decimals,
                          std::optional<double> max) {
  constexpr double kWidth = 560, kLabelW = 168, kRight = 64, kRowH = 34, kBarH = 20, kTop = 8,
                   kAxisH = 26;
  double top_value = max.value_or(0);
  if (!max)
    for (const Bar& b : bars)
      if (b.value) top_value = std::max(top_value, *b.value + b.error.value_or(0));
  const std::vector<double> ticks = nice_ticks(top_value, 5);
  const double axis_max = max ? *max : ticks.back();
  const double plot_w = kWidth - kLabelW - kRight;
  const double height = kTop + kRowH * static_cast<double>(bars.size()) + kAxisH;
  const auto x_of = [&](double v) { return kLabelW + plot_w * std::clamp(v / axis_max, 0.0, 1.0); };
  std::string s = "<svg class=\"chart bar-chart\" viewBox=\"0 0 " + num(kWidth) + " " +
                  num(height) + "\" role=\"img\" preserveAspectRatio=\"xMinYMin meet\">";
  for (const double t : max ? nice_ticks(*max, 5) : ticks) {
    const double x = x_of(t);
    s += "<line class=\"grid\" x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(kTop - 4) +
         "\" y2=\"" + num(height - kAxisH + 2) + "\"/>";
    s += "<text class=\"tick\" x=\"" + num(x) + "\" y=\"" + num(height - 8) +
         "\" text-anchor=\"middle\">" + tick_text(t) + "</text>";
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = kTop + kRowH * static_cast<double>(i) + (kRowH - kBarH) / 2;
    const double mid = y + kBarH / 2;
    s += "<text class=\"label\" x=\"" + num(kLabelW - 10) + "\" y=\"" + num(mid) +
         "\" text-anchor=\"end\" dominant-baseline=\"central\">" + xml_escape(b.label) + "</text>";
    if (!b.value) {
      s += "<rect class=\"missing\" x=\"" + num(kLabelW) + "\" y=\"" + num(y) + "\" width=\"" +
           num(plot_w) + "\" height=\"" + num(kBarH) + "\" rx=\"4\"/>";
      s += "<text class=\"missing-text\" x=\"" + num(kLabelW + 10) + "\" y=\"" + num(mid) +
           "\" dominant-baseline=\"central\">not measured</text>";
      continue;
    }
    const double x1 = x_of(*b.value);
    const std::string tip = xml_escape(b.label) + ": " + value_text(*b.value, decimals) +
                            (unit.empty() ? "" : " " + xml_escape(unit)) +
                            (b.error ? " ± " + value_text(*b.error, decimals) : "");
    s += "<rect class=\"bar\" x=\"" + num(kLabelW) + "\" y=\"" + num(y) + "\" width=\"" +
         num(std::max(1.5, x1 - kLabelW)) + "\" height=\"" + num(kBarH) + "\" rx=\"4\" fill=\"" +
         xml_escape(b.color) + "\"><title>" + tip + "</title></rect>";
    double label_x = x1 + 8;
    if (b.error && *b.error > 0) {
      const double lo = x_of(*b.value - *b.error), hi = x_of(*b.value + *b.error);
      s += "<path class=\"whisker\" d=\"M" + num(lo) + " " + num(mid) + "H" + num(hi) + "M" +
           num(lo) + " " + num(mid - 5) + "V" + num(mid + 5) + "M" + num(hi) + " " + num(mid - 5) +
           "V" + num(mid + 5) + "\"/>";
      label_x = std::max(label_x, hi + 8);
    }
    s += "<text class=\"value\" x=\"" + num(label_x) + "\" y=\"" + num(mid) +
         "\" dominant-baseline=\"central\">" + value_text(*b.value, decimals) + "</text>";
  }
  s += "</svg>";
  return s;
}

std::string svg_line_chart(const std::vector<Series>& series, const std::string& x_label,
                           const std::string& y_label) {
  constexpr double kWidth = 560, kHeight = 340, kLeft = 60, kRight = 24, kTop = 16, kBottom = 48;
  double max_x = 0, max_y = 0;
  for (const Series& se : series)
    for (const SeriesPoint& p : se.points) {
      max_x = std::max(max_x, p.x);
      max_y = std::max(max_y, p.y);
    }
  const std::vector<double> xt = nice_ticks(max_x * 1.05, 6), yt = nice_ticks(max_y * 1.08, 5);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const auto px = [&](double x) { return kLeft + plot_w * x / xt.back(); };
  const auto py = [&](double y) { return kTop + plot_h * (1 - y / yt.back()); };
  std::string s = "<svg class=\"chart line-chart\" viewBox=\"0 0 " + num(kWidth) + " " +
                  num(kHeight) + "\" role=\"img\" preserveAspectRatio=\"xMinYMin meet\">";
  for (const double t : yt) {
    s += "<line class=\"grid\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kWidth - kRight) +
         "\" y1=\"" + num(py(t)) + "\" y2=\"" + num(py(t)) + "\"/>";
    s += "<text class=\"tick\" x=\"" + num(kLeft - 8) + "\" y=\"" + num(py(t)) +
         "\" text-anchor=\"end\" dominant-baseline=\"central\">" + tick_text(t) + "</text>";
  }
  for (const double t : xt) {
    s += "<line class=\"grid\" x1=\"" + num(px(t)) + "\" x2=\"" + num(px(t)) + "\" y1=\"" +
         num(kTop) + "\" y2=\"" + num(kTop + plot_h) + "\"/>";
    s += "<text class=\"tick\" x=\"" + num(px(t)) + "\" y=\"" + num(kTop + plot_h + 18) +
         "\" text-anchor=\"middle\">" + tick_text(t) + "</text>";
  }
  s += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kWidth - kRight) + "\" y1=\"" +
       num(kTop + plot_h) + "\" y2=\"" + num(kTop + plot_h) + "\"/>";
  s += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft) + "\" y1=\"" +
       num(kTop) + "\" y2=\"" + num(kTop + plot_h) + "\"/>";
  s += "<text class=\"axis-label\" x=\"" + num(kLeft + plot_w / 2) + "\" y=\"" + num(kHeight - 8) +
       "\" text-anchor=\"middle\">" + xml_escape(x_label) + "</text>";
  s += "<text class=\"axis-label\" transform=\"translate(16 " + num(kTop + plot_h / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + xml_escape(y_label) + "</text>";
  for (const Series& se : series) {
    if (se.points.empty()) continue;
    std::string d;
    for (size_t i = 0; i < se.points.size(); ++i)
      d += (i ? "L" : "M") + num(px(se.points[i].x)) + " " + num(py(se.points[i].y));
    s += "<path class=\"series\" d=\"" + d + "\" stroke=\"" + xml_escape(se.color) + "\"/>";
    for (const SeriesPoint& p : se.points) {
      char tip[160];
      std::snprintf(tip, sizeof tip, ": %.1f tok/s, %.2f ms", p.x, p.y);
      s += "<circle class=\"point\" cx=\"" + num(px(p.x)) + "\" cy=\"" + num(py(p.y)) +
           "\" r=\"4.5\" fill=\"" + xml_escape(se.color) + "\"><title>" + xml_escape(se.label) +
           " " + xml_escape(p.tag) + tip + "</title></circle>";
      if (!p.tag.empty())
        s += "<text class=\"point-tag\" x=\"" + num(px(p.x) + 7) + "\" y=\"" + num(py(p.y) - 8) +
             "\">" + xml_escape(p.tag) + "</text>";
    }
  }
  s += "</svg>";
  return s;
}

}  // namespace junction::compare
