// Bounds that keep an untrusted template from running forever or exhausting memory. Exceeding
// any of them is a TemplateError at the expression that crossed the line.
#pragma once

#include <cstddef>
#include <cstdint>

namespace junction::jinja {

// Longest string any value prints to (str(), repr(), tojson), checked while it is built,
// whatever the Limits: printing needs no interpreter, and a list of a million references to one
// long string would otherwise print to terabytes before any limit saw it. bytes
inline constexpr size_t kMaxStringBytes = 64u << 20;

struct Limits {
  int64_t max_steps = 20'000'000;  // evaluated nodes, plus 1 per 256 bytes of string built
  size_t max_output_bytes = kMaxStringBytes;  // bytes of output, and of any one string value
  // Bytes built over the whole render: every string a filter, call, method, operator or slice
  // returns, every captured block and byte of output, and 24-32 bytes per list or dict slot
  // created. It bounds the memory a render can hold (each string is at most max_output_bytes,
  // but a loop can keep many alive); a template that builds a 1 MB prompt piece by piece with
  // `+` copies ~1 MB x pieces / 2, far below this. bytes
  size_t max_bytes_built = 512u << 20;
  int64_t max_loop_iterations = 1'000'000;  // for-loop iterations over the whole render
  size_t max_items = 1'000'000;             // elements of any one list (range(), list * n)
  int max_call_depth = 64;                  // nested macro calls
};

}  // namespace junction::jinja
