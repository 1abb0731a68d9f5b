// One request must not take a server down (issue 16): an 800 KB chat body whose message carries
// a field nested 400,000 arrays deep overflowed the stack of `junction serve` (the body was
// copied and walked recursively before any check) and, sent with a client key, of the gateway.
// Both are real processes here: the engine on the qwen3-e2e fixture, the gateway in front of it.
// Each answers 400 json_too_deep and then a normal request. Upstream answers are hostile too: a
// gateway whose upstream (nginx serving files) answers or streams JSON nested 400,000 deep fails
// that request and keeps serving.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "http/http_client.h"
#include "tests/support/loopback.h"
#include "tests/support/nginx_server.h"
#include "tests/support/serve_process.h"

namespace junction {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kModel = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";
constexpr int kDepth = 400'000;

std::string nested_arrays(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// A chat request whose user message carries an extra field `depth` arrays deep (800 KB).
std::string deep_chat_body(int depth) {
  return R"({"model":"qwen3-e2e-bf16","max_tokens":2,"messages":[{"role":"user","content":"Hi",)"
         R"("extra":)" +
         nested_arrays(depth) + "}]}";
}

// The same depth hidden in a string: tool-call arguments, which the server parses itself.
std::string deep_arguments_body(int depth) {
  const Json arguments = "{\"a\":" + nested_arrays(depth) + "}";
  return R"({"model":"qwen3-e2e-bf16","max_tokens":2,"messages":[{"role":"user","content":"Hi"},)"
         R"({"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function",)"
         R"("function":{"name":"f","arguments":)" +
         arguments.dump() + R"(}}]},{"role":"tool","tool_call_id":"c","content":"ok"}]})";
}

const std::string kNormalBody =
    R"({"model":"qwen3-e2e-bf16","max_tokens":2,"messages":[{"role":"user","content":"Hi"}]})";

http::HttpClient& client() {
  static http::HttpClient c([] {
    http::HttpClientOptions o;
    o.allow_plain_http = true;
    o.connect_timeout = o.read_timeout = std::chrono::seconds(30);
    return o;
  }());
  return c;
}

std::pair<http::HttpResponseHead, std::string> post_chat(const std::string& base_url,
                                                         const std::string& key,
                                                         const std::string& body) {
  http::HttpHeaders headers;
  if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
  return client().post_text(base_url + "/v1/chat/completions", headers, body, "application/json");
}

// The deep body is refused with 400 json_too_deep, and the server then answers a normal request.
void expect_refused_and_alive(const std::string& base_url, const std::string& key,
                              const std::string& log_path) {
  http::HttpResponseHead head;
  ASSERT_NO_THROW(head = post_chat(base_url, key, deep_chat_body(kDepth)).first)
      << "the server closed the connection:\n"
      << testing::read_file(log_path);
  EXPECT_EQ(head.status, 400);
  const Json error = Json::parse(head.error_body, nullptr, false);
  ASSERT_TRUE(error.is_object()) << head.error_body;
  EXPECT_EQ(error["error"]["code"], "json_too_deep") << head.error_body;
  const auto [ok, text] = post_chat(base_url, key, kNormalBody);
  EXPECT_EQ(ok.status, 200) << ok.error_body;
}

fs::path temp_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("junction-deep-json-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(DeepJson, EngineServerRefusesA400000DeepBodyAndKeepsServing) {
  const fs::path dir = temp_dir("engine");
  testing::ServeProcess engine(JUNCTION_BINARY, testing::engine_serve_args(kModel),
                               dir / "serve.log");
  ASSERT_GT(engine.port(), 0) << engine.log();
  expect_refused_and_alive(engine.url(), "", (dir / "serve.log").string());
  fs::remove_all(dir);
}

// Tool-call arguments too deep to turn into an object stay the string they came as (rendered
// into the prompt, 800 KB of it: longer than the fixture's context, so a 400 that says so).
TEST(DeepJson, EngineServerKeepsToolArgumentsNested400000DeepAsTheirString) {
  const fs::path dir = temp_dir("arguments");
  testing::ServeProcess engine(JUNCTION_BINARY, testing::engine_serve_args(kModel),
                               dir / "serve.log");
  ASSERT_GT(engine.port(), 0) << engine.log();
  http::HttpResponseHead head;
  ASSERT_NO_THROW(head = post_chat(engine.url(), "", deep_arguments_body(kDepth)).first)
      << engine.log();
  EXPECT_EQ(head.status, 400);
  EXPECT_NE(head.error_body.find("context_length_exceeded"), std::string::npos) << head.error_body;
  EXPECT_EQ(post_chat(engine.url(), "", kNormalBody).first.status, 200) << engine.log();
  fs::remove_all(dir);
}

TEST(DeepJson, GatewayRefusesA400000DeepBodyFromAClientKeyAndKeepsServing) {
  const fs::path dir = temp_dir("gateway");
  testing::ServeProcess engine(JUNCTION_BINARY, testing::engine_serve_args(kModel),
                               dir / "serve.log");
  ASSERT_GT(engine.port(), 0) << engine.log();
  std::ofstream(dir / "gateway.yaml")
      << "listen: 127.0.0.1:0\nadmin_key: admin-secret\nstore: sqlite://"
      << (dir / "gateway.db").string()
      << "\nproviders:\n  - {name: engine, kind: local, base_url: \"" << engine.url()
      << "/v1\"}\nmodels:\n  - name: qwen3-e2e-bf16\n"
         "    deployments: [{provider: engine, model: qwen3-e2e-bf16}]\n";
  testing::ServeProcess gateway(
      JUNCTION_BINARY, {"serve", "--config", (dir / "gateway.yaml").string()}, dir / "gateway.log");
  ASSERT_GT(gateway.port(), 0) << gateway.log();
  const auto [key_head, key_text] =
      client().post_text(gateway.url() + "/admin/keys", {{"Authorization", "Bearer admin-secret"}},
                         R"({"name":"deep","credits":1})", "application/json");
  ASSERT_EQ(key_head.status, 201) << key_head.error_body;
  const std::string key = Json::parse(key_text)["key"];
  expect_refused_and_alive(gateway.url(), key, (dir / "gateway.log").string());
  fs::remove_all(dir);
}

// Upstreams that answer or stream JSON nested 400,000 deep (in usage, which the gateway reads
// and rewrites), each behind its own model, and one that answers normally.
TEST(DeepJson, GatewaySurvivesUpstreamAnswersAndEventsNested400000Deep) {
  if (!test::NginxServer::installed())
    GTEST_FAIL() << "nginx is not installed (scripts/install_deps.sh installs it)";
  const fs::path dir = temp_dir("upstream");
  const std::string deep = nested_arrays(kDepth);
  std::ofstream(dir / "deep.json")
      << R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":)"
      << R"({"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"x":)" << deep
      << "}}";
  std::ofstream(dir / "deep.sse")
      << R"(data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":)"
      << R"({"content":"Hi"},"finish_reason":null}],"usage":{"x":)" << deep
      << "}}\n\ndata: [DONE]\n\n";
  std::ofstream(dir / "deep_anthropic.sse")
      << "event: message_start\n"
      << R"(data: {"type":"message_start","message":{"id":"m","usage":{"x":)" << deep << "}}}\n\n";
  const int port = test::free_port();
  auto location = [&](const std::string& path, const std::string& type, const fs::path& file) {
    return "    location = " + path + " { default_type " + type + "; alias " + file.string() +
           "; }\n";
  };
  test::NginxServer nginx(
      dir,
      "  access_log off;\n  server {\n    listen 127.0.0.1:" + std::to_string(port) +
          ";\n    error_page 405 =200 $uri;\n" +
          location("/deep/v1/chat/completions", "application/json", dir / "deep.json") +
          location("/deep-sse/v1/chat/completions", "text/event-stream", dir / "deep.sse") +
          location("/deep-anthropic/v1/messages", "text/event-stream", dir / "deep_anthropic.sse") +
          location("/ok/v1/chat/completions", "application/json",
                   fs::path(GATEWAY_TEST_DATA) / "openai_chat.json") +
          "  }\n",
      port);
  ASSERT_TRUE(nginx.running()) << testing::read_file(dir / "nginx-error.log");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  std::ofstream(dir / "gateway.yaml")
      << "listen: 127.0.0.1:0\nadmin_key: admin-secret\nstore: sqlite://"
      << (dir / "gateway.db").string() << "\nproviders:\n"
      << "  - {name: deep, kind: openai, base_url: \"" << base << "/deep/v1\"}\n"
      << "  - {name: deep-sse, kind: openai, base_url: \"" << base << "/deep-sse/v1\"}\n"
      << "  - {name: deep-anthropic, kind: anthropic, base_url: \"" << base
      << "/deep-anthropic\", api_key: k}\n"
      << "  - {name: ok, kind: openai, base_url: \"" << base << "/ok/v1\"}\n"
      << "models:\n"
      << "  - {name: deep, deployments: [{provider: deep, model: m}]}\n"
      << "  - {name: deep-sse, deployments: [{provider: deep-sse, model: m}]}\n"
      << "  - {name: deep-anthropic, deployments: [{provider: deep-anthropic, model: m}]}\n"
      << "  - {name: ok, deployments: [{provider: ok, model: m}]}\n";
  testing::ServeProcess gateway(
      JUNCTION_BINARY, {"serve", "--config", (dir / "gateway.yaml").string()}, dir / "gateway.log");
  ASSERT_GT(gateway.port(), 0) << gateway.log();
  const auto [key_head, key_text] =
      client().post_text(gateway.url() + "/admin/keys", {{"Authorization", "Bearer admin-secret"}},
                         R"({"name":"deep","credits":1})", "application/json");
  ASSERT_EQ(key_head.status, 201) << key_head.error_body;
  const std::string key = Json::parse(key_text)["key"];
  for (const auto& [model, stream] : std::vector<std::pair<std::string, bool>>{
           {"deep", false}, {"deep-sse", true}, {"deep-anthropic", true}}) {
    SCOPED_TRACE(model);
    const Json body = {{"model", model},
                       {"stream", stream},
                       {"max_tokens", 2},
                       {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
    http::HttpResponseHead head;
    ASSERT_NO_THROW(head = post_chat(gateway.url(), key, body.dump()).first) << gateway.log();
    if (!stream) {
      EXPECT_GE(head.status, 500) << head.error_body;
    }
    const Json ok = {{"model", "ok"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
    const auto [ok_head, ok_text] = post_chat(gateway.url(), key, ok.dump());
    EXPECT_EQ(ok_head.status, 200) << ok_head.error_body;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction
