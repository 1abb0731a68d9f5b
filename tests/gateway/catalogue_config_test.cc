// Keys and go (catalogue_config.h): configs naming providers only, against a small catalogue
// written here, and an environment given as a map.
#include "gateway/catalogue_config.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::json;

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Json model(const std::string& id, double input, bool tools, bool json_schema) {
  return {
      {"id", id},
      {"context_length", 100000},
      {"max_output_tokens", 8000},
      {"price",
       {{"input_per_mtok", input},
        {"output_per_mtok", 4 * input},
        {"cached_input_per_mtok", input / 10}}},
      {"capabilities",
       {{"tools", tools}, {"json_schema", json_schema}, {"reasoning", false}, {"vision", true}}},
      {"source",
       {{"url", "https://example.com/p"}, {"read_on", "2026-12-07"}, {"verified", true}}}};
}

Json provider(const std::string& name, const std::string& dialect, Json models,
              bool local = false) {
  return {{"name", name},
          {"display_name", name},
          {"dialect", dialect},
          {"base_url", local ? "http://127.0.0.1:11434/v1" : "https://" + name + ".example/v1"},
          {"auth", dialect == "anthropic" ? "x-api-key" : (local ? "none" : "bearer")},
          {"api_key_env", local ? "" : "KEY_" + name},
          {"base_url_env", "URL_" + name},
          {"local", local},
          {"models", std::move(models)}};
}

Catalogue catalogue() {
  const Json c = {
      {"schema", 1},
      {"units", "USD per 1e6 tokens"},
      {"providers",
       {provider("alpha", "openai", {model("a1", 1, true, true), model("shared", 2, true, true)}),
        provider("beta", "anthropic", {model("b1", 3, true, true), model("shared", 4, true, true)}),
        provider("router", "openai", {model("alpha/a1", 5, false, false)}),
        provider("lan", "openai", Json::array(), true)}}};
  return parse_catalogue(c.dump(), "test catalogue");
}

GatewayConfig keys_and_go(const std::string& yaml, const std::map<std::string, std::string>& vars) {
  GatewayConfig c = parse_gateway_config(yaml, "test.yaml", env({}));
  apply_catalogue(c, catalogue(), env(vars));
  return c;
}

const RoutedModel* find(const GatewayConfig& c, const std::string& name) {
  for (const RoutedModel& m : c.models)
    if (m.name == name) return &m;
  return nullptr;
}

TEST(KeysAndGo, ProvidersOnlyBringTheirModels) {
  const GatewayConfig c = keys_and_go("admin_key: a\nproviders: [alpha, beta]\n",
                                      {{"KEY_alpha", "ka"}, {"KEY_beta", "kb"}});
  ASSERT_EQ(c.providers.size(), 2u);
  EXPECT_EQ(c.providers[0].kind, "openai");
  EXPECT_EQ(c.providers[0].base_url, "https://alpha.example/v1");
  EXPECT_EQ(c.providers[0].api_key, "ka");
  EXPECT_EQ(c.providers[1].kind, "anthropic");
  EXPECT_EQ(c.providers[1].api_key, "kb");
  std::vector<std::string> names;
  for (const auto& m : c.models) names.push_back(m.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"alpha/a1", "alpha/shared", "beta/b1", "beta/shared"}));
  const RoutedModel* a1 = find(c, "alpha/a1");
  ASSERT_TRUE(a1);
  EXPECT_EQ(a1->aliases, (std::vector<std::string>{"a1"}));  // unambiguous plain name
  EXPECT_EQ(a1->context_length, 100000);
  EXPECT_EQ(a1->max_output_tokens, 8000);
  EXPECT_EQ(a1->price.input_per_mtok, 1);
  EXPECT_EQ(a1->price.output_per_mtok, 4);
  EXPECT_EQ(a1->price.cached_input_per_mtok, 0.1);
  ASSERT_EQ(a1->deployments.size(), 1u);
  EXPECT_EQ(a1->deployments[0].provider, "alpha");
  EXPECT_EQ(a1->deployments[0].model, "a1");
  EXPECT_TRUE(a1->deployments[0].capabilities.known);
  EXPECT_TRUE(a1->deployments[0].capabilities.json_schema);
  // "shared" is offered by both: no plain name for either.
  EXPECT_TRUE(find(c, "alpha/shared")->aliases.empty());
  EXPECT_TRUE(find(c, "beta/shared")->aliases.empty());
  // Through the Messages API translation there is no response_format.
  EXPECT_FALSE(find(c, "beta/b1")->deployments[0].capabilities.json_schema);
  EXPECT_TRUE(find(c, "beta/b1")->deployments[0].capabilities.tools);
}

TEST(KeysAndGo, BaseUrlFromTheEnvironmentOrTheConfig) {
  GatewayConfig c = keys_and_go("providers: [alpha]\n",
                                {{"KEY_alpha", "ka"}, {"URL_alpha", "http://127.0.0.1:9/x/v1/"}});
  EXPECT_EQ(c.providers[0].base_url, "http://127.0.0.1:9/x/v1");
  c = keys_and_go(
      "providers:\n  - {name: alpha, base_url: \"http://127.0.0.1:7/v1\", api_key: own, "
      "connect_timeout_ms: 5}\n",
      {{"KEY_alpha", "ka"}, {"URL_alpha", "http://127.0.0.1:9/v1"}});
  EXPECT_EQ(c.providers[0].base_url, "http://127.0.0.1:7/v1");
  EXPECT_EQ(c.providers[0].api_key, "own");
  EXPECT_EQ(c.providers[0].connect_timeout_ms, 5);
  EXPECT_THROW(keys_and_go("providers: [alpha]\n", {{"KEY_alpha", "k"}, {"URL_alpha", "ftp://x"}}),
               Error);
}

TEST(KeysAndGo, ExplicitModelsWinAndLearnCapabilities) {
  const GatewayConfig c = keys_and_go(
      "providers: [alpha, beta]\nmodels:\n"
      "  - name: a1\n    price: {input_per_mtok: 9, output_per_mtok: 9}\n"
      "    deployments: [{provider: beta, model: b1}, {provider: alpha}]\n"
      "  - name: alpha/shared\n    deployments: [{provider: alpha, model: shared}]\n",
      {{"KEY_alpha", "ka"}, {"KEY_beta", "kb"}});
  const RoutedModel* mine = find(c, "a1");
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->price.input_per_mtok, 9);  // the config's price, not the catalogue's
  EXPECT_TRUE(mine->deployments[0].capabilities.known);
  EXPECT_FALSE(mine->deployments[0].capabilities.json_schema);  // beta's b1, anthropic
  EXPECT_TRUE(mine->deployments[1].capabilities.json_schema);   // alpha's a1
  // The catalogue's alpha/a1 is still there but may not take the plain name the config uses.
  ASSERT_TRUE(find(c, "alpha/a1"));
  EXPECT_TRUE(find(c, "alpha/a1")->aliases.empty());
  // alpha/shared is the config's, once.
  int n = 0;
  for (const auto& m : c.models) n += m.name == "alpha/shared";
  EXPECT_EQ(n, 1);
  EXPECT_EQ(find(c, "alpha/shared")->price.input_per_mtok, 0);
}

TEST(KeysAndGo, PlainNameThatIsAnotherModelsNameIsNotAnAlias) {
  // OpenRouter's ids look like "alpha/a1", which is alpha's own prefixed name.
  const GatewayConfig c =
      keys_and_go("providers: [alpha, router]\n", {{"KEY_alpha", "ka"}, {"KEY_router", "kr"}});
  ASSERT_TRUE(find(c, "router/alpha/a1"));
  EXPECT_TRUE(find(c, "router/alpha/a1")->aliases.empty());
  EXPECT_EQ(find(c, "alpha/a1")->aliases, (std::vector<std::string>{"a1"}));
  EXPECT_FALSE(find(c, "router/alpha/a1")->deployments[0].capabilities.tools);
}

TEST(KeysAndGo, ClearErrors) {
  try {
    keys_and_go("providers: [alpha]\n", {});
    ADD_FAILURE() << "no key accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("set KEY_alpha"), std::string::npos) << e.what();
  }
  try {
    keys_and_go("providers: [gamma]\n", {});
    ADD_FAILURE() << "unknown provider accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not in the catalogue (alpha, beta, router, lan)"),
              std::string::npos)
        << e.what();
  }
  // A local provider needs no key and brings no models; the config names them.
  const GatewayConfig c = keys_and_go(
      "providers: [lan]\nmodels:\n  - {name: llama, deployments: [{provider: lan}]}\n", {});
  EXPECT_EQ(c.providers[0].base_url, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(c.providers[0].api_key, "");
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_FALSE(c.models[0].deployments[0].capabilities.known);
}

TEST(KeysAndGo, ParsedConfigsWithKindsAreUntouched) {
  const GatewayConfig c = keys_and_go(
      "providers:\n  - {name: alpha, kind: openai, base_url: \"http://127.0.0.1:1/v1\"}\n"
      "models:\n  - {name: m, deployments: [{provider: alpha, model: a1}]}\n",
      {{"KEY_alpha", "ka"}});
  EXPECT_EQ(c.providers[0].api_key, "");  // not a catalogue provider: no key from the env
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_FALSE(c.models[0].deployments[0].capabilities.known);
}

}  // namespace
}  // namespace junction::gateway
