// Keys and go: a config that names providers only (`providers: [openai, anthropic]`) gets
// them, and their models, from the catalogue (catalogue.h). Pure apart from the environment
// lookup it is given.
//
// For each provider named without a kind: the dialect (kind), the base URL (the config's
// `base_url`, else the provider's base-URL variable such as OPENAI_BASE_URL, else the
// catalogue's) and the key (the config's `api_key`, else the provider's variable such as
// OPENAI_API_KEY; a hosted provider without one is an error). Each of its catalogue models
// becomes a model named `provider/model` (OpenRouter's convention), with the catalogue's
// context window, output limit, price and capabilities, and also answers to its plain name
// when no other model has that name. Models written in the config win: a catalogue model whose
// name (or plain name) they already use is left out, and their deployments on catalogue
// providers get the catalogue's capabilities for the upstream model they name.
#pragma once

#include "gateway/catalogue.h"
#include "gateway/config.h"
#include "gateway/env_expand.h"

namespace junction::gateway {

// Throws junction::Error for a provider the catalogue lacks or a hosted provider without key.
void apply_catalogue(GatewayConfig& config, const Catalogue& catalogue, const EnvLookup& env);

// The capabilities a deployment of `model` has through the gateway's `dialect` translation
// (the Messages API translation has no response_format yet: anthropic_request.h).
Capabilities effective_capabilities(const CatalogueModel& model, const std::string& dialect);

}  // namespace junction::gateway
