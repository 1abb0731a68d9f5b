#include "gateway/catalogue_config.h"

#include <map>
#include <set>

#include "core/error.h"

namespace junction::gateway {
namespace {

std::string kind_of(const CatalogueProvider& p) {
  if (p.dialect == "anthropic") return "anthropic";
  if (p.dialect == "junction") return "local";
  return "openai";
}

std::string known_names(const Catalogue& catalogue) {
  std::string out;
  for (const auto& p : catalogue.providers) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

void fill_provider(ProviderConfig& p, const CatalogueProvider& cp, const EnvLookup& env) {
  p.kind = kind_of(cp);
  if (p.base_url.empty()) {
    const auto from_env = env(cp.base_url_env);
    p.base_url = from_env && !from_env->empty() ? *from_env : cp.base_url;
    while (!p.base_url.empty() && p.base_url.back() == '/') p.base_url.pop_back();
    if (p.base_url.rfind("http://", 0) != 0 && p.base_url.rfind("https://", 0) != 0)
      throw Error("provider '" + p.name + "': " + cp.base_url_env + " must start with http:// or " +
                  "https://, got '" + p.base_url + "'");
  }
  if (p.api_key.empty() && !cp.api_key_env.empty()) {
    const auto key = env(cp.api_key_env);
    if (key) p.api_key = *key;
  }
  if (p.api_key.empty() && !cp.local)
    throw Error("provider '" + p.name + "' (line " + std::to_string(p.line) +
                "): no API key: set " + cp.api_key_env + " or give the provider an 'api_key'");
}

}  // namespace

Capabilities effective_capabilities(const CatalogueModel& model, const std::string& dialect) {
  Capabilities c = model.capabilities;
  if (dialect == "anthropic") c.json_schema = false;
  return c;
}

void apply_catalogue(GatewayConfig& config, const Catalogue& catalogue, const EnvLookup& env) {
  std::map<std::string, const CatalogueProvider*> named;  // config provider name -> entry
  for (ProviderConfig& p : config.providers) {
    if (!p.from_catalogue) continue;
    const CatalogueProvider* cp = catalogue.find(p.name);
    if (!cp)
      throw Error("provider '" + p.name + "' (line " + std::to_string(p.line) +
                  ") is not in the catalogue (" + known_names(catalogue) +
                  "): give it a 'kind' and a 'base_url'");
    fill_provider(p, *cp, env);
    named[p.name] = cp;
  }

  // The config's own models first: their deployments on catalogue providers learn what the
  // upstream model can do, and their names are taken.
  std::set<std::string> taken;
  for (RoutedModel& m : config.models) {
    taken.insert(m.name);
    taken.insert(m.aliases.begin(), m.aliases.end());
    for (DeploymentConfig& d : m.deployments) {
      const auto it = named.find(d.provider);
      if (it == named.end()) continue;
      const std::string upstream = d.model.empty() ? m.name : d.model;
      for (const CatalogueModel& cm : it->second->models)
        if (cm.id == upstream) d.capabilities = effective_capabilities(cm, it->second->dialect);
    }
  }

  const size_t first_added = config.models.size();
  std::map<std::string, int> plain_uses;
  for (const ProviderConfig& p : config.providers) {
    const auto it = named.find(p.name);
    if (it == named.end()) continue;
    for (const CatalogueModel& cm : it->second->models) {
      ++plain_uses[cm.id];
      RoutedModel m;
      m.name = p.name + "/" + cm.id;
      if (taken.count(m.name)) continue;  // the config's own model of this name wins
      m.context_length = cm.context_length;
      m.max_output_tokens = cm.max_output_tokens;
      m.price = cm.price;
      m.line = p.line;
      DeploymentConfig d;
      d.provider = p.name;
      d.model = cm.id;
      d.capabilities = effective_capabilities(cm, it->second->dialect);
      m.deployments.push_back(d);
      config.models.push_back(std::move(m));
    }
  }
  // Plain names last, once every prefixed name is known: "gpt-4.1" only when one provider
  // offers it and no model (an OpenRouter id such as "openai/gpt-4.1" included) is named so.
  for (size_t i = first_added; i < config.models.size(); ++i) taken.insert(config.models[i].name);
  for (size_t i = first_added; i < config.models.size(); ++i) {
    RoutedModel& m = config.models[i];
    const std::string& plain = m.deployments.front().model;
    if (plain_uses[plain] == 1 && !taken.count(plain)) m.aliases.push_back(plain);
  }
}

}  // namespace junction::gateway
