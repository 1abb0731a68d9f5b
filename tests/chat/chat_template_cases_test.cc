// Golden renderings: every case of the Qwen3 and DeepSeek-R1-0528-Qwen3 template fixtures
// (rendered by jinja2 3.1.6 like transformers, see tests/data/README) must come out
// byte-identical from junction's interpreter.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "chat/chat_template.h"

namespace junction::chat {
namespace {

using json = nlohmann::ordered_json;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void run_cases(const ChatTemplate& tmpl, const json& cases) {
  ASSERT_GT(cases.size(), 0u);
  for (const json& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    json extra = json::object();
    if (c.contains("enable_thinking")) extra["enable_thinking"] = c["enable_thinking"];
    json tools = c.contains("tools") ? c["tools"] : json();
    std::string got =
        tmpl.render(c["messages"], tools, c.value("add_generation_prompt", false), extra);
    EXPECT_EQ(got, c["rendered"].get<std::string>());
  }
}

TEST(ChatTemplateCases, Qwen3) {
  std::string dir = JUNCTION_TEST_DATA;
  json config = json::parse(read_file(dir + "/models/qwen3-e2e-bf16/tokenizer_config.json"));
  ChatTemplate tmpl(config["chat_template"].get<std::string>(), "", "<|im_end|>");
  json cases = json::parse(read_file(dir + "/tokenizer/qwen3/chat_template_cases.json"));
  run_cases(tmpl, cases["cases"]);
}

TEST(ChatTemplateCases, DeepSeekR1Qwen3) {
  std::string dir = JUNCTION_TEST_DATA;
  std::string source = read_file(dir + "/tokenizer/deepseek-r1-0528-qwen3/chat_template.jinja");
  json cases =
      json::parse(read_file(dir + "/tokenizer/deepseek-r1-0528-qwen3/chat_template_cases.json"));
  ChatTemplate tmpl(source, "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>");
  for (const json& c : cases["cases"])
    EXPECT_EQ(c["bos_token"].get<std::string>(), "<｜begin▁of▁sentence｜>");
  run_cases(tmpl, cases["cases"]);
}

}  // namespace
}  // namespace junction::chat
