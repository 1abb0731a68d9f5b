// A Prometheus histogram (fixed upper bounds, +Inf implied) rendered in the text exposition
// format. Not thread-safe: its owner holds the lock. Shared by junction serve's metrics and the
// gateway's, so it depends on nothing but the standard library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace junction::http {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // Appends the _bucket / _sum / _count lines of `name`.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;    // upper bounds, ascending (+Inf implied)
  std::vector<uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  uint64_t count_ = 0;
};

// A number as Prometheus reads it back exactly (%.17g).
std::string prometheus_number(double v);

}  // namespace junction::http
