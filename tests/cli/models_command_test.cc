// `junction models` through the real binary: the table and the JSON list the catalogue's
// models (compared with gateway/catalogue.json read here), --provider filters, --catalog
// replaces the built-in catalogue, and an unknown provider or a broken file is an error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::pair<int, std::string> run(const std::string& args, bool with_stderr = true) {
  std::string out;
  FILE* pipe = popen(
      (std::string(JUNCTION_BINARY) + " " + args + (with_stderr ? " 2>&1" : "")).c_str(), "r");
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  return {pclose(pipe), out};
}

Json catalogue_file() {
  std::ifstream in(fs::path(JUNCTION_SOURCE_DIR) / "gateway/catalogue.json");
  return Json::parse(in);
}

TEST(ModelsCommand, JsonListsOneProvidersModelsWithPricesAndSources) {
  const auto [status, out] = run("models --provider deepseek --json", false);
  ASSERT_EQ(status, 0) << out;
  const Json listed = Json::parse(out);
  Json expected;
  const Json catalogue = catalogue_file();  // kept: the loop below refers into it
  for (const Json& p : catalogue["providers"])
    if (p["name"] == "deepseek") expected = p["models"];
  ASSERT_EQ(listed.size(), expected.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(listed[i]["id"], "deepseek/" + expected[i]["id"].get<std::string>());
    EXPECT_EQ(listed[i]["price"], expected[i]["price"]);
    EXPECT_EQ(listed[i]["context_length"], expected[i]["context_length"]);
    EXPECT_EQ(listed[i]["source"]["url"], expected[i]["source"]["url"]);
    EXPECT_EQ(listed[i]["api_key_env"], "DEEPSEEK_API_KEY");
  }
}

TEST(ModelsCommand, TableNamesEveryProvider) {
  const auto [status, out] = run("models");
  ASSERT_EQ(status, 0) << out;
  const Json catalogue = catalogue_file();
  for (const Json& p : catalogue["providers"]) {
    const std::string first = p["models"].empty() ? p["name"].get<std::string>() + "/*"
                                                  : p["name"].get<std::string>() + "/" +
                                                        p["models"][0]["id"].get<std::string>();
    EXPECT_NE(out.find(first), std::string::npos) << first << "\n" << out;
  }
}

TEST(ModelsCommand, CatalogFileAndErrors) {
  const fs::path path =
      fs::temp_directory_path() / ("junction-models-" + std::to_string(::getpid()) + ".json");
  Json c = catalogue_file();
  c["providers"] = Json::array({c["providers"][0]});
  c["providers"][0]["models"] = Json::array({c["providers"][0]["models"][0]});
  c["providers"][0]["models"][0]["id"] = "my-model";
  std::ofstream(path) << c.dump();
  auto [status, out] = run("models --json --catalog " + path.string(), false);
  ASSERT_EQ(status, 0) << out;
  const Json listed = Json::parse(out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["model"], "my-model");
  std::tie(status, out) = run("models --provider nobody");
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("no provider 'nobody'"), std::string::npos) << out;
  std::ofstream(path) << "{\"schema\": 2}";
  std::tie(status, out) = run("models --catalog " + path.string());
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("'schema' must be 1"), std::string::npos) << out;
  fs::remove(path);
}

}  // namespace
