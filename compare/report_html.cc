#include "compare/report_html.h"

#include <array>
#include <cmath>

#include "compare/report_markdown.h"
#include "compare/svg_chart.h"

namespace junction::compare {
namespace {

// Okabe–Ito-like, tuned to read on white and on near-black.
constexpr std::array<const char*, 8> kPalette = {"#3b82c4", "#e0873a", "#3aa57a", "#c9546a",
                                                 "#8a6cc9", "#c4a23b", "#4bb1c9", "#8f8f8f"};

constexpr const char* kCss = R"css(
:root{--bg:#f6f7f9;--card:#fff;--text:#1c2230;--muted:#5d6677;--line:#e3e6eb;--grid:#eceef2;
--accent:#2f6fb3;--best:#e8f3ea;--best-text:#1f6b35;--missing:#f0f1f4;--shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08)}
@media (prefers-color-scheme:dark){:root{--bg:#12151b;--card:#1b1f27;--text:#e6e9ef;--muted:#9aa3b2;
--line:#2c323d;--grid:#262b35;--accent:#7fb0e6;--best:#1d3325;--best-text:#8fd6a5;--missing:#232833;--shadow:none}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1180px;margin:0 auto;padding:36px 24px 56px}
h1{font-size:28px;line-height:1.2;margin:0 0 6px;letter-spacing:-.01em}
h2{font-size:19px;margin:40px 0 14px;letter-spacing:-.005em}
h3{font-size:15px;margin:0;font-weight:600}
.sub{color:var(--muted);margin:0 0 24px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;box-shadow:var(--shadow)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:10px 12px;text-align:right;white-space:nowrap;border-bottom:1px solid var(--line)}
thead th{white-space:normal;vertical-align:bottom;min-width:64px}
th:first-child,td:first-child{text-align:left}
thead th{font-size:12.5px;font-weight:600;color:var(--muted);text-transform:none;cursor:pointer;user-select:none;background:var(--card);position:sticky;top:0}
thead th:hover{color:var(--text)}
thead th[aria-sort]::after{content:" \2195";opacity:.5}
tbody tr:last-child td{border-bottom:none}
tbody tr:hover td{background:color-mix(in srgb,var(--accent) 5%,transparent)}
td.model{font-weight:600}
td.best{background:var(--best);color:var(--best-text);font-weight:600}
td.missing{color:var(--muted)}
.swatch{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:8px;vertical-align:0}
sup a{color:var(--accent);text-decoration:none;font-size:11px;margin-left:2px}
.notes{margin:16px 0 0;padding:16px 20px 16px 40px;font-size:13.5px;color:var(--muted)}
.notes li{margin:4px 0}
.notes li:target{color:var(--text);font-weight:600}
.legend-list{font-size:13.5px;color:var(--muted);columns:2 360px;margin:14px 0 0;padding-left:20px}
.legend-list li{break-inside:avoid}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,440px),1fr));gap:16px}
.chart-card{padding:16px 18px 10px}
.chart-card .meta{color:var(--muted);font-size:12.5px;margin:2px 0 8px}
.chart{width:100%;height:auto;display:block;font-size:12px}
.chart .grid{stroke:var(--grid);stroke-width:1}
.chart .axis{stroke:var(--muted);stroke-width:1}
.chart .tick{fill:var(--muted);font-size:11px}
.chart .label{fill:var(--text);font-size:12.5px}
.chart .value{fill:var(--text);font-size:12px;font-weight:600}
.chart .axis-label{fill:var(--muted);font-size:12px}
.chart .missing{fill:var(--missing)}
.chart .missing-text{fill:var(--muted);font-size:11.5px;font-style:italic}
.chart .whisker{stroke:var(--text);stroke-width:1.2;opacity:.55;fill:none}
.chart .series{fill:none;stroke-width:2.5;stroke-linejoin:round;stroke-linecap:round}
.chart .point{stroke:var(--card);stroke-width:1.5}
.chart .point-tag{fill:var(--muted);font-size:11px}
.chips{display:flex;flex-wrap:wrap;gap:8px 18px;margin:0 0 14px;font-size:13.5px}
.detail h3{margin:20px 0 8px}
.detail h3:first-child{margin-top:0}
.detail table td,.detail table th{padding:7px 12px;font-size:13px}
.empty{padding:18px;color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:12.5px}
@media (max-width:640px){main{padding:24px 12px 40px}h1{font-size:23px}th,td{padding:8px 10px}}
)css";

constexpr const char* kScript = R"js(
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("thead th");
  heads.forEach(function (th, col) {
    th.setAttribute("aria-sort", "none");
    th.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
        if (x === null || x === "") return 1;
        if (y === null || y === "") return -1;
        var nx = parseFloat(x), ny = parseFloat(y);
        var d = isNaN(nx) || isNaN(ny) ? String(x).localeCompare(String(y)) : nx - ny;
        return asc ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
document.documentElement.setAttribute("data-report-ready", "1");
)js";

std::string esc(const std::string& s) {
  return xml_escape(s);
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// The number a column sorts and ranks by, and whether larger is better.
std::optional<double> column_value(const Comparison& c, const ModelRow& row, size_t col) {
  const size_t nq = c.columns.size();
  if (col < nq) return row.quality[col].value;
  if (col == nq) return row.ttft_ms.value;
  if (col == nq + 1) return row.throughput.value;
  return row.memory.value;
}
bool higher_is_better(const Comparison& c, size_t col) {
  const size_t nq = c.columns.size();
  return col < nq || col == nq + 1;
}

std::string note_marks(const std::vector<int>& notes) {
  std::string s;
  for (size_t i = 0; i < notes.size(); ++i) {
    const std::string n = std::to_string(notes[i]);
    s += std::string(i ? "" : "<sup>") + "<a href=\"#note-" + n + "\">" + (i ? "," : "") + n +
         "</a>";
  }
  return s.empty() ? s : s + "</sup>";
}

std::string summary_table(const Comparison& c) {
  const std::vector<std::string> headers = table_headers(c);
  std::vector<std::optional<double>> best(headers.size());
  for (size_t col = 0; col < headers.size(); ++col) {
    int n_values = 0;
    for (const ModelRow& row : c.rows)
      if (const auto v = column_value(c, row, col)) {
        ++n_values;
        if (!best[col] || (higher_is_better(c, col) ? *v > *best[col] : *v < *best[col]))
          best[col] = *v;
      }
    if (n_values < 2) best[col].reset();  // nothing to compare against
  }
  std::string s =
      "<div class=\"card table-wrap\"><table class=\"sortable\"><thead><tr><th>Model</th>";
  for (const std::string& h : headers) s += "<th>" + esc(h) + "</th>";
  s += "</tr></thead><tbody>";
  for (size_t r = 0; r < c.rows.size(); ++r) {
    const ModelRow& row = c.rows[r];
    s += "<tr><td class=\"model\" data-v=\"" + esc(row.label) +
         "\"><span class=\"swatch\" style=\"background:" + model_color(r) + "\"></span>" +
         esc(row.label) + "</td>";
    for (size_t col = 0; col < headers.size(); ++col) {
      const auto v = column_value(c, row, col);
      std::string cls = !v ? "missing" : (best[col] && *v == *best[col] ? "best" : "");
      s += "<td" + (cls.empty() ? "" : " class=\"" + cls + "\"") + " data-v=\"" +
           (v ? fmt("%.17g", *v) : "") + "\">" + esc(cell_text(c, row, col)) +
           note_marks(cell_notes(c, row, col)) + "</td>";
    }
    s += "</tr>";
  }
  s += "</tbody></table></div>";
  return s;
}

std::string quality_charts(const Comparison& c) {
  std::string s;
  const auto& columns = c.columns;
  for (size_t col = 0; col < columns.size(); ++col) {
    std::vector<Bar> bars;
    bool any = false;
    for (size_t r = 0; r < c.rows.size(); ++r) {
      const Cell& cell = c.rows[r].quality[col];
      any = any || cell.value.has_value();
      bars.push_back({c.rows[r].label, cell.value, cell.stderr_value, model_color(r)});
    }
    if (!any) continue;
    const bool percent = columns[col].scale == 100;
    bool whiskers = false;
    for (const Bar& b : bars) whiskers = whiskers || (b.error && *b.error > 0);
    s += "<div class=\"card chart-card\"><h3>" + esc(columns[col].header) +
         "</h3><div class=\"meta\">" + esc(columns[col].setting) + (percent ? " · %" : "") +
         (whiskers ? " · whiskers: ±1 standard error" : "") + "</div>" +
         svg_bar_chart(bars, percent ? "%" : "", percent ? 1 : 2,
                       percent ? std::optional<double>(100) : std::optional<double>(10)) +
         "</div>";
  }
  if (s.empty()) return "<div class=\"card empty\">No quality results among the files.</div>";
  return "<div class=\"grid\">" + s + "</div>";
}

std::string serving_charts(const Comparison& c) {
  struct Metric {
    const char* title;
    const char* meta;
    const char* y_label;
    double BenchPoint::*field;
  };
  const Metric metrics[] = {
      {"Time to first token vs throughput", "median TTFT at each sweep level", "TTFT p50 (ms)",
       &BenchPoint::ttft_p50_ms},
      {"Time per output token vs throughput", "median TPOT at each sweep level", "TPOT p50 (ms)",
       &BenchPoint::tpot_p50_ms},
      {"End-to-end latency vs throughput", "median request latency at each sweep level",
       "E2E latency p50 (ms)", &BenchPoint::e2el_p50_ms},
  };
  bool any = false;
  for (const ModelRow& row : c.rows) any = any || !row.curve.empty();
  if (!any) return "<div class=\"card empty\">No serving benchmarks among the files.</div>";
  std::string s = "<div class=\"grid\">";
  for (const Metric& m : metrics) {
    std::vector<Series> series;
    for (size_t r = 0; r < c.rows.size(); ++r) {
      Series se{c.rows[r].label, model_color(r), {}};
      for (const BenchPoint& p : c.rows[r].curve)
        se.points.push_back({p.output_throughput, p.*m.field, p.label()});
      series.push_back(std::move(se));
    }
    s += "<div class=\"card chart-card\"><h3>" + std::string(m.title) +
         "</h3><div class=\"meta\">" + m.meta + " · lower and further right is better</div>" +
         svg_line_chart(series, "output throughput (tokens/s)", m.y_label) + "</div>";
  }
  return s + "</div>";
}

std::string sweep_details(const Comparison& c) {
  std::string s;
  for (size_t r = 0; r < c.rows.size(); ++r) {
    const ModelRow& row = c.rows[r];
    if (row.curve.empty()) continue;
    s += "<h3><span class=\"swatch\" style=\"background:" + model_color(r) + "\"></span>" +
         esc(row.label) +
         "</h3><div class=\"card table-wrap\"><table><thead><tr><th>Level</th>"
         "<th>Requests/s</th><th>Output tok/s</th><th>TTFT p50</th><th>TTFT p99</th>"
         "<th>TPOT p50</th><th>TPOT p99</th><th>ITL p50</th><th>E2E p50</th><th>OK / failed</th>"
         "</tr></thead><tbody>";
    for (const BenchPoint& p : row.curve)
      s += "<tr><td>" + esc(p.label()) + "</td><td>" + fmt("%.2f", p.request_throughput) +
           "</td><td>" + fmt("%.1f", p.output_throughput) + "</td><td>" +
           fmt("%.1f ms", p.ttft_p50_ms) + "</td><td>" + fmt("%.1f ms", p.ttft_p99_ms) +
           "</td><td>" + fmt("%.2f ms", p.tpot_p50_ms) + "</td><td>" +
           fmt("%.2f ms", p.tpot_p99_ms) + "</td><td>" + fmt("%.2f ms", p.itl_p50_ms) +
           "</td><td>" + fmt("%.0f ms", p.e2el_p50_ms) + "</td><td>" + std::to_string(p.completed) +
           " / " + std::to_string(p.failed) + "</td></tr>";
    s += "</tbody></table></div>";
  }
  return s.empty() ? s : "<h2>Sweep levels</h2><div class=\"detail\">" + s + "</div>";
}

}  // namespace

std::string model_color(size_t i) {
  return kPalette[i % kPalette.size()];
}

std::string render_html(const Comparison& c, const HtmlReportOptions& o) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
      "<title>" +
      esc(o.title) + "</title><style>" + kCss + "</style></head><body><main>";
  size_t n_files = 0;
  for (const ModelRow& row : c.rows) n_files += row.files.size();
  s += "<h1>" + esc(o.title) + "</h1><p class=\"sub\">" + std::to_string(c.rows.size()) +
       (c.rows.size() == 1 ? " model" : " models") + " · " + std::to_string(n_files) +
       " result files" + (o.generated_at.empty() ? "" : " · generated " + esc(o.generated_at)) +
       " · junction compare</p>";
  s += summary_table(c);
  if (!c.notes.empty()) {
    s += "<ol class=\"notes card\">";
    for (size_t i = 0; i < c.notes.size(); ++i)
      s += "<li id=\"note-" + std::to_string(i + 1) + "\">" + esc(c.notes[i]) + "</li>";
    s += "</ol>";
  }
  s += "<ul class=\"legend-list\">";
  for (const std::string& l : c.legend) s += "<li>" + esc(l) + "</li>";
  s += "</ul>";
  std::string chips = "<div class=\"chips\">";
  for (size_t r = 0; r < c.rows.size(); ++r)
    chips += "<span><span class=\"swatch\" style=\"background:" + model_color(r) + "\"></span>" +
             esc(c.rows[r].label) + "</span>";
  chips += "</div>";
  s += "<h2>Quality</h2>" + chips + quality_charts(c);
  s += "<h2>Serving: latency against throughput</h2>" + chips + serving_charts(c);
  s += sweep_details(c);
  s += "<footer>Sources: ";
  bool first = true;
  for (const ModelRow& row : c.rows)
    for (const std::string& f : row.files) {
      s += (first ? "" : ", ") + std::string("<code>") + esc(f) + "</code>";
      first = false;
    }
  s += ".</footer></main><script>" + std::string(kScript) + "</script></body></html>\n";
  return s;
}

}  // namespace junction::compare
