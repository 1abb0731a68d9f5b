// Bounds that keep an untrusted template from running forever or exhausting memory. Exceeding
// any of them is a TemplateError at the expression that crossed the line.
#pragma once

#include <cstddef>
#include <cstdint>

namespace junction::jinja {

struct Limits {
  int64_t max_steps = 20'000'000;           // evaluated nodes, plus 1 per 256 bytes of string built
  size_t max_output_bytes = 64u << 20;      // bytes of output, and of any one string value
  int64_t max_loop_iterations = 1'000'000;  // for-loop iterations over the whole render
  size_t max_items = 1'000'000;             // elements of any one list (range(), list * n)
  int max_call_depth = 64;                  // nested macro calls
};

}  // namespace junction::jinja
