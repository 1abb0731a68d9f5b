// Keys and go, end to end: `junction serve --config` with the three-line config
// (listen, admin_key, `providers: [openai, anthropic]`), keys and base URLs from the providers'
// usual environment variables pointing at nginx on loopback, which serves recorded OpenAI and
// Anthropic answers (tests/gateway/data; the Anthropic one only with the right x-api-key and
// anthropic-version). /v1/models lists exactly the catalogue's models of those two providers;
// a chat through each is answered and charged at the catalogue's prices, computed here by hand
// from gateway/catalogue.json and the recordings' usage; a request with a json_schema
// response_format to a model whose deployment cannot honour it is a 400.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/error.h"
#include "http/http_client.h"
#include "tests/support/child_process.h"
#include "tests/support/loopback.h"
#include "tests/support/nginx_server.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The catalogue's price in nano-USD per token; the recordings' token counts times these are
// exact only when the price is a whole number of nano-USD per token, which the test checks.
int64_t nano_per_token(const Json& usd_per_mtok) {
  const double nano = usd_per_mtok.get<double>() * 1000.0;
  EXPECT_NEAR(nano, std::round(nano), 1e-9) << "price not whole in nano-USD per token";
  return std::llround(nano);
}

class CatalogueProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(JUNCTION_BINARY)) FAIL() << "the junction binary is missing";
    if (!test::NginxServer::installed())
      FAIL() << "nginx is not installed (scripts/install_deps.sh installs it)";
    dir_ = fs::temp_directory_path() / ("junction-catalogue-process-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const int port = test::free_port();
    const std::string data = GATEWAY_TEST_DATA;
    nginx_ = std::make_unique<test::NginxServer>(
        dir_,
        "  access_log off;\n  server {\n    listen 127.0.0.1:" + std::to_string(port) +
            ";\n    error_page 405 =200 $uri;\n"
            "    location = /openai/v1/chat/completions {\n"
            "      if ($http_authorization != \"Bearer sk-openai-test\") { return 401; }\n"
            "      default_type application/json; alias " +
            data +
            "/openai_chat.json;\n    }\n"
            "    location = /anthropic/v1/messages {\n"
            "      if ($http_x_api_key != \"sk-ant-test\") { return 401 "
            "'{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
            "\"message\":\"invalid x-api-key\"}}'; }\n"
            "      if ($http_anthropic_version != \"2023-06-01\") { return 400; }\n"
            "      default_type application/json; alias " +
            data + "/anthropic_message.json;\n    }\n  }\n",
        port);
    ASSERT_TRUE(nginx_->running()) << read_text(dir_ / "nginx-error.log");
    // The three lines, nothing else: the store is the default junction.db in the
    // working directory, which is dir_.
    std::ofstream(dir_ / "gateway.yaml")
        << "listen: 127.0.0.1:0\nadmin_key: admin-secret\nproviders: [openai, anthropic]\n";
    const std::string root = "http://127.0.0.1:" + std::to_string(port);
    const fs::path log = dir_ / "gateway.log";
    gateway_ = test::ChildProcess(
        {"/bin/sh", "-c",
         "cd \"$0\" && exec env OPENAI_API_KEY=sk-openai-test ANTHROPIC_API_KEY=sk-ant-test "
         "OPENAI_BASE_URL=\"$1/openai/v1\" ANTHROPIC_BASE_URL=\"$1/anthropic\" \"$2\" serve "
         "--config gateway.yaml",
         dir_.string(), root, JUNCTION_BINARY},
        log.string());
    const std::string marker = "listening on http://127.0.0.1:";
    for (int i = 0; i < 300 && port_ == 0; ++i) {
      const std::string text = read_text(log);
      const size_t at = text.find(marker);
      if (at != std::string::npos && text.find('\n', at) != std::string::npos)
        port_ = std::stoi(text.substr(at + marker.size()));
      else
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_NE(port_, 0) << "the gateway did not start: " << read_text(log);
    catalogue_ = Json::parse(read_text(fs::path(JUNCTION_SOURCE_DIR) / "gateway/catalogue.json"));
  }

  void TearDown() override {
    gateway_ = {};
    nginx_.reset();
    fs::remove_all(dir_);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  static http::HttpClient client() {
    http::HttpClientOptions o;
    o.connect_timeout = o.read_timeout = 10s;
    return http::HttpClient(o);
  }

  const Json& provider(const std::string& name) const {
    for (const Json& p : catalogue_["providers"])
      if (p["name"] == name) return p;
    throw Error("no provider " + name + " in catalogue.json");
  }

  std::string create_key() {
    const auto [head, text] =
        client().post_text(url("/admin/keys"), {{"Authorization", "Bearer admin-secret"}},
                           Json{{"name", "t"}, {"credits", 1.0}}.dump(), "application/json");
    EXPECT_EQ(head.status, 201) << head.error_body;
    return Json::parse(text)["key"];
  }

  fs::path dir_;
  std::unique_ptr<test::NginxServer> nginx_;
  test::ChildProcess gateway_;
  int port_ = 0;
  Json catalogue_;
};

TEST_F(CatalogueProcess, ThreeLineConfigListsTheCatalogueAndChargesItsPrices) {
  const std::string key = create_key();
  http::HttpClient c = client();

  // /v1/models: every catalogue model of the two providers, as provider/model, nothing else.
  const auto [models_head, models_text] =
      c.get_text(url("/v1/models"), {{"Authorization", "Bearer " + key}});
  ASSERT_EQ(models_head.status, 200) << models_head.error_body;
  const Json listed = Json::parse(models_text)["data"];
  std::set<std::string> expected, got;
  for (const std::string name : {"openai", "anthropic"})
    for (const Json& m : provider(name)["models"])
      expected.insert(name + "/" + m["id"].get<std::string>());
  for (const Json& m : listed) {
    got.insert(m["id"].get<std::string>());
    EXPECT_TRUE(m["context_length"].is_number_integer()) << m.dump();
    EXPECT_TRUE(m["pricing"]["prompt"].is_string()) << m.dump();
    EXPECT_TRUE(m["capabilities"]["tools"].is_boolean()) << m.dump();
  }
  EXPECT_EQ(got, expected);

  // One chat through each provider, by plain name and by provider/model. The recordings'
  // usage: OpenAI 12 prompt (4 cached) + 5 completion; Anthropic 12 input + 8 cache-read
  // (prompt 20, 8 cached) + 10 output.
  struct Case {
    std::string provider, request_model;
    int64_t uncached, cached, completion;
  };
  const Json& openai_model = provider("openai")["models"][0];
  const Json& anthropic_model = provider("anthropic")["models"][0];
  const std::vector<Case> cases = {
      {"openai", openai_model["id"].get<std::string>(), 8, 4, 5},
      {"anthropic", "anthropic/" + anthropic_model["id"].get<std::string>(), 12, 8, 10}};
  for (const Case& k : cases) {
    const Json& m = k.provider == "openai" ? openai_model : anthropic_model;
    const int64_t expected_nano = k.uncached * nano_per_token(m["price"]["input_per_mtok"]) +
                                  k.cached * nano_per_token(m["price"]["cached_input_per_mtok"]) +
                                  k.completion * nano_per_token(m["price"]["output_per_mtok"]);
    const auto [head, text] =
        c.post_text(url("/v1/chat/completions"), {{"Authorization", "Bearer " + key}},
                    Json{{"model", k.request_model},
                         {"max_tokens", 16},
                         {"messages", {{{"role", "user"}, {"content", "Say hello"}}}}}
                        .dump(),
                    "application/json");
    ASSERT_EQ(head.status, 200) << k.provider << ": " << head.error_body << text;
    const Json answer = Json::parse(text);
    EXPECT_TRUE(answer["choices"][0]["message"]["content"].is_string()) << text;
    EXPECT_EQ(answer["usage"]["completion_tokens"], k.completion);
    EXPECT_EQ(std::llround(answer["usage"]["cost"].get<double>() * 1e9), expected_nano) << text;
    const auto [gen_head, gen_text] =
        c.get_text(url("/v1/generation?id=" + answer["id"].get<std::string>()),
                   {{"Authorization", "Bearer " + key}});
    ASSERT_EQ(gen_head.status, 200) << gen_head.error_body;
    const Json record = Json::parse(gen_text)["data"];
    EXPECT_EQ(record["provider"], k.provider);
    EXPECT_EQ(std::llround(record["total_cost"].get<double>() * 1e9), expected_nano);
  }

  // Structured outputs through the Messages API translation are not supported: a 400 that
  // names response_format, before anything is sent or reserved.
  const auto [head, text] = c.post_text(
      url("/v1/chat/completions"), {{"Authorization", "Bearer " + key}},
      Json{
          {"model", "anthropic/" + anthropic_model["id"].get<std::string>()},
          {"max_tokens", 16},
          {"response_format",
           {{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", Json::object()}}}}},
          {"messages", {{{"role", "user"}, {"content", "Say hello"}}}}}
          .dump(),
      "application/json");
  ASSERT_EQ(head.status, 400) << text;
  const Json error = Json::parse(head.error_body.empty() ? text : head.error_body)["error"];
  EXPECT_EQ(error["code"], "unsupported_capability");
  EXPECT_EQ(error["param"], "response_format");
}

}  // namespace
}  // namespace junction::gateway
