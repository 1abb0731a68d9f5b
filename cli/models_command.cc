// `junction models [--provider P] [--catalog FILE] [--json]`: the provider and model catalogue
// the gateway uses for `providers: [...]` configs (gateway/catalogue.h): a table, or the
// entries as JSON (the /v1/models names, prices in USD per 1e6 tokens, capabilities, sources).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "gateway/catalogue.h"

namespace junction::cli {
namespace {

struct ModelsArgs {
  std::string provider;
  std::string catalog;
  bool json = false;
};

std::string tokens(int64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "K";
  return std::to_string(n);
}

std::string capability_list(const gateway::Capabilities& c) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (on) out += (out.empty() ? "" : ",") + std::string(name);
  };
  add(c.tools, "tools");
  add(c.json_schema, "json_schema");
  add(c.reasoning, "reasoning");
  add(c.vision, "vision");
  return out.empty() ? "-" : out;
}

int run_models(const ModelsArgs& a) {
  const gateway::Catalogue catalogue = gateway::load_catalogue(a.catalog);
  if (!a.provider.empty() && !catalogue.find(a.provider))
    throw Error("no provider '" + a.provider + "' in the catalogue");
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  int width = 5;  // the longest provider/model name
  for (const gateway::CatalogueProvider& p : catalogue.providers)
    for (const gateway::CatalogueModel& m : p.models)
      width = std::max(width, static_cast<int>(p.name.size() + 1 + m.id.size()));
  if (!a.json)
    std::printf("%-*s %8s %7s %9s %9s %9s  %-34s %s\n", width, "MODEL", "CONTEXT", "OUTPUT",
                "INPUT", "CACHED", "OUTPUT$", "CAPABILITIES", "VERIFIED");
  for (const gateway::CatalogueProvider& p : catalogue.providers) {
    if (!a.provider.empty() && p.name != a.provider) continue;
    if (!a.json && p.models.empty())
      std::printf("%-*s (%s at %s: lists its own models)\n", width, (p.name + "/*").c_str(),
                  p.display_name.c_str(), p.base_url.c_str());
    for (const gateway::CatalogueModel& m : p.models) {
      const std::string name = p.name + "/" + m.id;
      if (a.json) {
        out.push_back({{"id", name},
                       {"provider", p.name},
                       {"model", m.id},
                       {"dialect", p.dialect},
                       {"base_url", p.base_url},
                       {"api_key_env", p.api_key_env},
                       {"context_length", m.context_length},
                       {"max_output_tokens", m.max_output_tokens},
                       {"price",
                        {{"input_per_mtok", m.price.input_per_mtok},
                         {"output_per_mtok", m.price.output_per_mtok},
                         {"cached_input_per_mtok", m.price.cached_input_per_mtok}}},
                       {"capabilities",
                        {{"tools", m.capabilities.tools},
                         {"json_schema", m.capabilities.json_schema},
                         {"reasoning", m.capabilities.reasoning},
                         {"vision", m.capabilities.vision}}},
                       {"source",
                        {{"url", m.source.url},
                         {"read_on", m.source.read_on},
                         {"verified", m.source.verified},
                         {"note", m.source.note}}}});
        continue;
      }
      std::printf("%-*s %8s %7s %9.4g %9.4g %9.4g  %-34s %s\n", width, name.c_str(),
                  tokens(m.context_length).c_str(), tokens(m.max_output_tokens).c_str(),
                  m.price.input_per_mtok, m.price.cached_input_per_mtok, m.price.output_per_mtok,
                  capability_list(m.capabilities).c_str(), m.source.verified ? "yes" : "no");
    }
  }
  if (a.json)
    std::printf("%s\n", out.dump(2).c_str());
  else
    std::printf("prices: USD per 1e6 tokens; `--json` gives each price's source and date\n");
  return 0;
}

}  // namespace

Command add_models_command(CLI::App& app) {
  auto a = std::make_shared<ModelsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "models", "Print the gateway's provider and model catalogue (prices, limits, capabilities)");
  cmd->add_option("--provider", a->provider, "Only this provider's models (e.g. openai)");
  cmd->add_option("--catalog", a->catalog,
                  "A catalogue file (the schema of gateway/catalogue.json) instead of the "
                  "built-in one");
  cmd->add_flag("--json", a->json, "JSON instead of a table");
  return {cmd, [a] { return run_models(*a); }};
}

}  // namespace junction::cli
