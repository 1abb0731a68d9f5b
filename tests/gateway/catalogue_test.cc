// The catalogue's data file (gateway/catalogue.json) against its schema, read here with
// nlohmann directly (independently of parse_catalogue), and parse_catalogue's refusals.
#include "gateway/catalogue.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/error.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string catalogue_file_text() {
  std::ifstream in(fs::path(JUNCTION_SOURCE_DIR) / "gateway/catalogue.json", std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool positive_number(const Json& j) {
  return j.is_number() && j.get<double>() > 0;
}

bool positive_integer(const Json& j) {
  return j.is_number_integer() && j.get<int64_t>() > 0;
}

TEST(CatalogueData, IsTheFileCompiledIn) {
  EXPECT_EQ(std::string(builtin_catalogue_json()), catalogue_file_text());
}

TEST(CatalogueData, EveryProviderAndModelIsComplete) {
  const Json c = Json::parse(catalogue_file_text());
  ASSERT_EQ(c["schema"], 1);
  ASSERT_EQ(c["units"], "USD per 1e6 tokens");
  std::set<std::string> names;
  const std::regex date(R"(\d{4}-\d{2}-\d{2})");
  int n_models = 0;
  for (const Json& p : c["providers"]) {
    const std::string name = p.at("name");
    SCOPED_TRACE(name);
    EXPECT_TRUE(names.insert(name).second) << "listed twice";
    for (const char* k : {"display_name", "dialect", "base_url", "auth", "base_url_env"})
      EXPECT_TRUE(p.at(k).is_string() && !p.at(k).get<std::string>().empty()) << k;
    EXPECT_TRUE(p.at("api_key_env").is_string());
    EXPECT_TRUE(p.at("local").is_boolean());
    const std::string base = p.at("base_url");
    EXPECT_TRUE(base.rfind(p.at("local") ? "http://127.0.0.1:" : "https://", 0) == 0) << base;
    if (!p.at("local")) {
      EXPECT_FALSE(p.at("api_key_env").get<std::string>().empty());
      EXPECT_FALSE(p.at("models").empty());
    }
    for (const Json& m : p.at("models")) {
      SCOPED_TRACE(m.at("id").get<std::string>());
      ++n_models;
      EXPECT_TRUE(positive_integer(m.at("context_length")));
      EXPECT_TRUE(positive_integer(m.at("max_output_tokens")));
      EXPECT_LE(m.at("max_output_tokens").get<int64_t>(), m.at("context_length").get<int64_t>());
      for (const char* k : {"input_per_mtok", "output_per_mtok", "cached_input_per_mtok"})
        EXPECT_TRUE(positive_number(m.at("price").at(k))) << k;
      EXPECT_LE(m["price"]["cached_input_per_mtok"].get<double>(),
                m["price"]["input_per_mtok"].get<double>());
      for (const char* k : {"tools", "json_schema", "reasoning", "vision"})
        EXPECT_TRUE(m.at("capabilities").at(k).is_boolean()) << k;
      const Json& s = m.at("source");
      EXPECT_EQ(s.at("url").get<std::string>().rfind("https://", 0), 0u);
      EXPECT_TRUE(std::regex_match(s.at("read_on").get<std::string>(), date));
      EXPECT_TRUE(s.at("verified").is_boolean());
      if (!s.at("verified")) {
        EXPECT_FALSE(s.at("note").get<std::string>().empty());
      }
    }
  }
  // The issue's providers, every one.
  for (const char* want :
       {"openai", "anthropic", "deepseek", "gemini", "mistral", "groq", "together", "fireworks",
        "xai", "openrouter", "junction", "llamacpp", "vllm", "ollama"})
    EXPECT_TRUE(names.count(want)) << want;
  EXPECT_GE(n_models, 15);
  // And parse_catalogue accepts what this test accepted.
  const Catalogue parsed = load_catalogue("");
  EXPECT_EQ(parsed.providers.size(), names.size());
  EXPECT_EQ(parsed.find("anthropic")->dialect, "anthropic");
  EXPECT_EQ(parsed.find("deepseek")->models[0].price.cached_input_per_mtok, 0.07);
}

// A one-model catalogue with `edit` applied to its model (or, with model false, its provider).
std::string variant(const std::function<void(Json&)>& edit, bool model = true) {
  Json c = {
      {"schema", 1},
      {"units", "USD per 1e6 tokens"},
      {"providers",
       {{{"name", "p"},
         {"display_name", "P"},
         {"dialect", "openai"},
         {"base_url", "https://p.example/v1"},
         {"auth", "bearer"},
         {"api_key_env", "P_KEY"},
         {"base_url_env", "P_BASE_URL"},
         {"local", false},
         {"models",
          {{{"id", "m"},
            {"context_length", 1000},
            {"max_output_tokens", 100},
            {"price",
             {{"input_per_mtok", 1.0}, {"output_per_mtok", 2.0}, {"cached_input_per_mtok", 0.5}}},
            {"capabilities",
             {{"tools", true}, {"json_schema", false}, {"reasoning", false}, {"vision", false}}},
            {"source",
             {{"url", "https://p.example/pricing"},
              {"read_on", "2026-12-07"},
              {"verified", true}}}}}}}}}};
  edit(model ? c["providers"][0]["models"][0] : c["providers"][0]);
  return c.dump();
}

void expect_refused(const std::string& text, const std::string& what) {
  try {
    parse_catalogue(text, "test.json");
    ADD_FAILURE() << "accepted; expected: " << what;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos) << e.what();
  }
}

TEST(ParseCatalogue, AcceptsAMinimalCatalogue) {
  const Catalogue c = parse_catalogue(variant([](Json&) {}), "test.json");
  ASSERT_EQ(c.providers.size(), 1u);
  const CatalogueModel& m = c.providers[0].models[0];
  EXPECT_EQ(m.id, "m");
  EXPECT_EQ(m.price.output_per_mtok, 2.0);
  EXPECT_TRUE(m.capabilities.known && m.capabilities.tools && !m.capabilities.vision);
  EXPECT_TRUE(m.source.verified);
}

TEST(ParseCatalogue, RefusesMissingOrNonPositiveNumbers) {
  expect_refused(variant([](Json& m) { m["price"].erase("output_per_mtok"); }),
                 "'output_per_mtok' is required");
  expect_refused(variant([](Json& m) { m["price"]["input_per_mtok"] = 0; }),
                 "'input_per_mtok' must be a positive number");
  expect_refused(variant([](Json& m) { m["price"]["cached_input_per_mtok"] = -1; }),
                 "'cached_input_per_mtok' must be a positive number");
  expect_refused(variant([](Json& m) { m["context_length"] = 12.5; }),
                 "'context_length' must be a positive integer");
  expect_refused(variant([](Json& m) { m["max_output_tokens"] = 5000; }),
                 "'max_output_tokens' exceeds 'context_length'");
  expect_refused(variant([](Json& m) { m["price"]["input_per_mtok"] = "1"; }), "must be a number");
}

TEST(ParseCatalogue, RefusesUnsourcedOrUnknownEntries) {
  expect_refused(variant([](Json& m) { m["source"]["verified"] = false; }),
                 "an unverified entry needs a 'note'");
  expect_refused(variant([](Json& m) { m["source"]["read_on"] = "yesterday"; }),
                 "'read_on' must be a date");
  expect_refused(variant([](Json& m) { m["source"]["url"] = "http://x"; }), "https://");
  expect_refused(variant([](Json& m) { m.erase("source"); }), "'source' is required");
  expect_refused(variant([](Json& m) { m["price"]["per_request"] = 1; }),
                 "unknown key 'per_request'");
  expect_refused(variant([](Json& m) { m["capabilities"]["audio"] = true; }),
                 "unknown key 'audio'");
  expect_refused(variant([](Json& p) { p["dialect"] = "grpc"; }, false), "'dialect' must be");
  expect_refused(variant([](Json& p) { p["models"] = Json::array(); }, false),
                 "needs at least one model");
  expect_refused(variant([](Json& p) { p["models"].push_back(p["models"][0]); }, false),
                 "listed twice");
  expect_refused("{\"schema\": 1", "not a catalogue");
  expect_refused(std::string(200, '[') + std::string(200, ']'), "deeper");
}

TEST(LoadCatalogue, ReadsAFileInsteadOfTheBuiltIn) {
  const fs::path path = fs::temp_directory_path() / "junction-catalogue-test.json";
  std::ofstream(path) << variant([](Json& m) { m["id"] = "only-model"; });
  const Catalogue c = load_catalogue(path.string());
  ASSERT_EQ(c.providers.size(), 1u);
  EXPECT_EQ(c.providers[0].models[0].id, "only-model");
  fs::remove(path);
  EXPECT_THROW(load_catalogue(path.string()), Error);
}

}  // namespace
}  // namespace junction::gateway
