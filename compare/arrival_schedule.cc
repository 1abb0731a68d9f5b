#include "compare/arrival_schedule.h"

#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include "core/error.h"

namespace junction::compare {

double unit_interval(uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

std::vector<double> poisson_arrivals(int64_t n, double rate, uint64_t seed) {
  std::vector<double> at;
  if (n <= 0) return at;
  at.reserve(static_cast<size_t>(n));
  if (std::isinf(rate)) return std::vector<double>(static_cast<size_t>(n), 0.0);
  std::mt19937_64 rng(seed);
  double t = 0;
  for (int64_t i = 0; i < n; ++i) {
    t += -std::log1p(-unit_interval(rng())) / rate;
    at.push_back(t);
  }
  return at;
}

std::vector<double> parse_sweep(const std::string& text, bool allow_inf, const std::string& flag) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item == "inf") {
      if (!allow_inf) throw Error(flag + ": \"inf\" is not allowed here");
      out.push_back(std::numeric_limits<double>::infinity());
      continue;
    }
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || !(v > 0) || std::isinf(v))
      throw Error(flag + ": \"" + item + "\" is not a positive number");
    out.push_back(v);
  }
  if (out.empty()) throw Error(flag + " needs at least one value");
  return out;
}

}  // namespace junction::compare
