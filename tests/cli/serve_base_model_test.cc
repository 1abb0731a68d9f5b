// A base model (a folder whose tokenizer_config.json names no chat template, as base checkpoints
// ship) served by the real binary: it starts, /v1/completions (with echo and prompt
// log-probabilities, what lm-eval's loglikelihood requests use) and /tokenize work, and a chat
// request gets an OpenAI-style 400 naming the missing template and the --chat-template flag.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "http/http_client.h"
#include "tests/support/serve_process.h"

namespace junction {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

const fs::path kModel = fs::path(JUNCTION_TEST_DATA) / "models" / "qwen3-e2e-bf16";

// The qwen3-e2e fixture's weights and tokenizer with the chat template taken out.
fs::path base_model_folder() {
  const fs::path dir = fs::temp_directory_path() / ("junction-base-" + std::to_string(getpid()));
  fs::create_directories(dir);
  for (const char* name : {"config.json", "model.safetensors", "tokenizer.json"})
    fs::copy_file(kModel / name, dir / name, fs::copy_options::overwrite_existing);
  Json config = Json::parse(std::ifstream(kModel / "tokenizer_config.json"));
  config.erase("chat_template");
  std::ofstream(dir / "tokenizer_config.json") << config.dump();
  return dir;
}

TEST(ServeBaseModel, CompletionsAndTokenizeWorkAndChatNamesTheMissingTemplate) {
  const fs::path dir = base_model_folder();
  {
    testing::ServeProcess serve(JUNCTION_BINARY, testing::engine_serve_args(dir.string()),
                                dir / "serve.log");
    ASSERT_GT(serve.port(), 0) << serve.log();
    EXPECT_NE(serve.log().find("--chat-template"), std::string::npos) << serve.log();
    http::HttpClientOptions o;
    o.connect_timeout = o.read_timeout = std::chrono::seconds(30);
    http::HttpClient client(o);
    const std::string model = dir.filename().string();  // the served name: the folder's
    auto post = [&](const std::string& path, Json body) {
      if (path.starts_with("/v1/")) body["model"] = model;
      auto [head, text] = client.post_text(serve.url() + path, {}, body.dump(), "application/json");
      return std::make_pair(
          head.status, Json::parse(head.status == 200 ? text : head.error_body, nullptr, false));
    };

    const auto [chat_status, chat] =
        post("/v1/chat/completions",
             {{"messages", {{{"role", "user"}, {"content", "Hello"}}}}, {"max_tokens", 2}});
    EXPECT_EQ(chat_status, 400);
    ASSERT_TRUE(chat.contains("error")) << chat.dump();
    const std::string message = chat["error"]["message"];
    EXPECT_NE(message.find("chat template"), std::string::npos) << message;
    EXPECT_NE(message.find("--chat-template"), std::string::npos) << message;
    EXPECT_EQ(chat["error"]["type"], "invalid_request_error");
    EXPECT_EQ(chat["error"]["code"], "no_chat_template");

    const auto [completion_status, completion] =
        post("/v1/completions", {{"prompt", "The capital of France is"},
                                 {"max_tokens", 3},
                                 {"echo", true},
                                 {"logprobs", 1},
                                 {"temperature", 0}});
    ASSERT_EQ(completion_status, 200) << completion.dump();
    const Json& logprobs = completion["choices"][0]["logprobs"];
    ASSERT_TRUE(logprobs.is_object()) << completion.dump();
    EXPECT_GT(logprobs["token_logprobs"].size(), 3u);      // the echoed prompt's and the new ones
    EXPECT_TRUE(logprobs["token_logprobs"][0].is_null());  // the first prompt token has none
    EXPECT_TRUE(logprobs["token_logprobs"][1].is_number());

    const auto [tokenize_status, tokenized] = post("/tokenize", {{"prompt", "Hello world"}});
    ASSERT_EQ(tokenize_status, 200) << tokenized.dump();
    EXPECT_GT(tokenized["count"].get<int>(), 0);

    const auto [messages_status, messages] =
        post("/tokenize", {{"messages", {{{"role", "user"}, {"content", "Hello"}}}}});
    EXPECT_EQ(messages_status, 400);
    EXPECT_NE(messages.dump().find("--chat-template"), std::string::npos) << messages.dump();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction
