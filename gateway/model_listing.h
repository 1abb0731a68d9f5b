// One model as GET /v1/models lists it: OpenAI's model object (`id`, `object`, `created`,
// `owned_by`) extended to OpenRouter's shape (`name`, `context_length`, `architecture`,
// `pricing` in USD per token as decimal strings, `top_provider`, `supported_parameters`), plus
// junction's `aliases`, `providers`, `fallbacks` and `capabilities`. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "gateway/config.h"

namespace junction::gateway {

// What some deployment of `m` can do (the router sends a request only to one that can);
// known = false when any deployment's capabilities are unknown.
Capabilities model_capabilities(const RoutedModel& m);

nlohmann::ordered_json model_listing_entry(const RoutedModel& m);

// USD per 1e6 tokens as OpenRouter's USD-per-token decimal string ("0.000002").
std::string usd_per_token(double usd_per_mtok);

}  // namespace junction::gateway
