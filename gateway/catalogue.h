// The built-in catalogue of providers and their chat models (gateway/catalogue.json, compiled
// into the binary; `--catalog FILE` replaces it): each provider's base URL, auth style,
// dialect and API-key variable, and each model's context window, output limit, prices (USD per
// 1e6 tokens, price.h's units) and capabilities. Every price names the page it was read from
// and the date it was read; a number nobody could check against the provider's own page says
// so (`verified: false`). A config that names providers only (`providers: [openai]`) gets
// their models from here (catalogue_config.h); `junction models` prints it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/capabilities.h"
#include "gateway/price.h"

namespace junction::gateway {

struct PriceSource {
  std::string url;        // the page the numbers were read from
  std::string read_on;    // YYYY-MM-DD
  bool verified = false;  // read on the provider's own page (false: a secondary source)
  std::string note;       // what is uncertain, when anything is
};

struct CatalogueModel {
  std::string id;  // the provider's model name, sent upstream
  int64_t context_length = 0;
  int64_t max_output_tokens = 0;
  Price price;
  Capabilities capabilities;  // known = true
  PriceSource source;
};

struct CatalogueProvider {
  std::string name;          // what a config names: "openai"
  std::string display_name;  // "OpenAI"
  // "openai" (Chat Completions), "anthropic" (the Messages API) or "junction" (a junction
  // engine: the config's kind "local" at a URL)
  std::string dialect;
  std::string base_url;      // as ProviderConfig::base_url
  std::string auth;          // "bearer", "x-api-key" or "none"
  std::string api_key_env;   // "OPENAI_API_KEY"; "" when the provider takes no key
  std::string base_url_env;  // "OPENAI_BASE_URL": overrides base_url when set
  bool local = false;        // a server on this machine: no key needed, no models listed
  std::vector<CatalogueModel> models;
};

struct Catalogue {
  std::vector<CatalogueProvider> providers;
  const CatalogueProvider* find(const std::string& name) const;
};

// Checks the whole schema (required fields, types, positive numbers, known dialects and
// capabilities, no unknown keys, no duplicate names); throws junction::Error naming `source`
// and the entry.
Catalogue parse_catalogue(std::string_view json_text, const std::string& source);

// The catalogue compiled in (gateway/catalogue.json at build time).
std::string_view builtin_catalogue_json();

// `path` empty: the built-in catalogue; else the file (`--catalog FILE`).
Catalogue load_catalogue(const std::string& path);

}  // namespace junction::gateway
