#include "compare/report_markdown.h"

#include <algorithm>

namespace junction::compare {
namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

constexpr const char* kMissing = "—";

// Markdown table cells cannot hold a raw '|'.
std::string escape(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

}  // namespace

std::vector<std::string> table_headers(const Comparison& c) {
  std::vector<std::string> h;
  for (const QualityColumn& col : c.columns) h.push_back(col.header);
  h.push_back("Latency TTFT / TPOT (ms)");
  h.push_back("Throughput (tok/s)");
  h.push_back("Memory");
  return h;
}

std::string cell_text(const Comparison& c, const ModelRow& row, size_t column) {
  const size_t n_quality = c.columns.size();
  if (column < n_quality) {
    const Cell& cell = row.quality[column];
    if (!cell.value) return kMissing;
    return fmt(c.columns[column].scale == 1 ? "%.2f" : "%.1f", *cell.value) +
           (cell.stderr_value && !cell.detail.empty() ? " ± " + fmt("%.1f", *cell.stderr_value)
                                                      : "") +
           (cell.detail.empty() ? "" : " (" + cell.detail + ")");
  }
  switch (column - n_quality) {
    case 0:
      if (!row.ttft_ms.value) return kMissing;
      return fmt("%.1f", *row.ttft_ms.value) + " / " + fmt("%.2f", row.tpot_ms.value.value_or(0));
    case 1:
      if (!row.throughput.value) return kMissing;
      return fmt("%.1f", *row.throughput.value) +
             (row.throughput.detail.empty() ? "" : " (" + row.throughput.detail + ")");
    default:
      if (!row.memory.value) return kMissing;
      return format_memory(*row.memory.value);
  }
}

std::vector<int> cell_notes(const Comparison& c, const ModelRow& row, size_t column) {
  const size_t n_quality = c.columns.size();
  std::vector<const Cell*> cells;
  if (column < n_quality) {
    cells.push_back(&row.quality[column]);
  } else if (column == n_quality) {
    cells = {&row.ttft_ms, &row.tpot_ms};
  } else if (column == n_quality + 1) {
    cells.push_back(&row.throughput);
  } else {
    cells.push_back(&row.memory);
  }
  std::vector<int> numbers;
  for (const Cell* cell : cells)
    for (const std::string& note : cell->notes) {
      const int n = c.note_number(note);
      if (n > 0 && std::find(numbers.begin(), numbers.end(), n) == numbers.end())
        numbers.push_back(n);
    }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

std::string render_markdown(const Comparison& c) {
  std::string out = "| Model |";
  const std::vector<std::string> headers = table_headers(c);
  for (const std::string& h : headers) out += " " + h + " |";
  out += "\n|---|";
  for (size_t i = 0; i < headers.size(); ++i) out += "---:|";
  out += "\n";
  for (const ModelRow& row : c.rows) {
    out += "| " + escape(row.label) + " |";
    for (size_t col = 0; col < headers.size(); ++col) {
      std::string cell = cell_text(c, row, col);
      const std::vector<int> notes = cell_notes(c, row, col);
      if (!notes.empty()) {
        cell += " [";
        for (size_t i = 0; i < notes.size(); ++i) cell += (i ? "," : "") + std::to_string(notes[i]);
        cell += "]";
      }
      out += " " + escape(cell) + " |";
    }
    out += "\n";
  }
  if (!c.notes.empty()) {
    out += "\nNotes:\n\n";
    for (size_t i = 0; i < c.notes.size(); ++i)
      out += std::to_string(i + 1) + ". " + c.notes[i] + "\n";
  }
  out += "\nColumns:\n\n";
  for (const std::string& l : c.legend) out += "- " + l + "\n";
  return out;
}

}  // namespace junction::compare
