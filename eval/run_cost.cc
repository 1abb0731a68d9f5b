#include "eval/run_cost.h"

#include <cmath>
#include <cstdlib>

namespace junction::eval {
namespace {

std::optional<double> per_token(const nlohmann::ordered_json& v) {
  double x;
  if (v.is_number()) {
    x = v.get<double>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    x = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(x) || x < 0) return std::nullopt;
  return x;
}

}  // namespace

double cost_usd(const TokenPrice& price, int64_t prompt_tokens, int64_t completion_tokens) {
  return (static_cast<double>(prompt_tokens) * price.input_per_mtok +
          static_cast<double>(completion_tokens) * price.output_per_mtok) /
         1e6;
}

int64_t estimate_prompt_tokens(int64_t prompt_chars) {
  return (prompt_chars + 3) / 4 + 8;
}

int64_t prompt_tokens_upper_bound(int64_t prompt_chars) {
  return prompt_chars + 32;
}

std::optional<TokenPrice> price_from_models_listing(const nlohmann::ordered_json& models,
                                                    const std::string& model) {
  if (!models.is_object() || !models.contains("data") || !models["data"].is_array())
    return std::nullopt;
  for (const auto& m : models["data"]) {
    if (!m.is_object() || !m.contains("id") || m["id"] != model) continue;
    if (!m.contains("pricing") || !m["pricing"].is_object()) return std::nullopt;
    const auto& p = m["pricing"];
    if (!p.contains("prompt") || !p.contains("completion")) return std::nullopt;
    const auto in = per_token(p["prompt"]);
    const auto out = per_token(p["completion"]);
    if (!in || !out) return std::nullopt;
    return TokenPrice{*in * 1e6, *out * 1e6};
  }
  return std::nullopt;
}

bool CostCap::reserve(int64_t max_prompt_tokens, int64_t max_completion_tokens) {
  if (!price_ || !max_usd_) return true;
  const double worst = cost_usd(*price_, max_prompt_tokens, max_completion_tokens);
  std::lock_guard<std::mutex> lock(mutex_);
  if (spent_ + reserved_ + worst > *max_usd_) return false;
  reserved_ += worst;
  return true;
}

void CostCap::settle(int64_t max_prompt_tokens, int64_t max_completion_tokens,
                     int64_t prompt_tokens, int64_t completion_tokens) {
  if (!price_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (max_usd_) reserved_ -= cost_usd(*price_, max_prompt_tokens, max_completion_tokens);
  spent_ += cost_usd(*price_, prompt_tokens, completion_tokens);
}

double CostCap::spent_usd() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return spent_;
}

}  // namespace junction::eval
