// When each request of a sweep level is sent. A concurrency level sends everything at once and
// lets at most N run; a request-rate level draws Poisson arrivals (exponential gaps of mean
// 1/rate, vLLM's burstiness 1) from a seeded std::mt19937_64, whose output sequence the C++
// standard fixes, so the same seed gives the same schedule on every machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace junction::compare {

// mt19937_64 output -> [0, 1) with 53 random bits (not std::generate_canonical, whose result
// differs between standard libraries).
double unit_interval(uint64_t bits);

// Send times (s since the level started) of `n` requests at `rate` requests/s: cumulative sums
// of -ln(1 - u) / rate. The first request waits one gap too, as in vLLM.
std::vector<double> poisson_arrivals(int64_t n, double rate, uint64_t seed);

// "1,4,16" -> {1, 4, 16}; "0.5,2,inf". Throws junction::Error on anything else or a value
// <= 0. `inf` is allowed only when allow_inf.
std::vector<double> parse_sweep(const std::string& text, bool allow_inf, const std::string& flag);

}  // namespace junction::compare
