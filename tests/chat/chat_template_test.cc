// ChatTemplate context building (null content, kwargs, special tokens) and locating a model's
// template (tokenizer_config.json string or named list, chat_template.jinja, override file).
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "chat/chat_template.h"
#include "chat/template_source.h"
#include "core/error.h"

namespace junction::chat {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

TEST(ChatTemplate, NullContentBecomesEmptyString) {
  ChatTemplate t("{% for m in messages %}[{{ m.role }}:{{ m.content + '!' }}]{% endfor %}", "", "");
  json messages = json::array({{{"role", "assistant"}, {"content", nullptr}}});
  EXPECT_EQ(t.render(messages, json(), false), "[assistant:!]");
}

TEST(ChatTemplate, PassesTokensToolsAndKwargs) {
  ChatTemplate t(
      "{{ bos_token }}|{{ eos_token }}|{{ tools is none }}|{{ add_generation_prompt }}|{{ "
      "enable_thinking }}|{{ pad_token is defined }}",
      "<s>", "</s>");
  EXPECT_EQ(t.render(json::array(), json(), true, {{"enable_thinking", false}}),
            "<s>|</s>|True|True|False|False");
  ChatTemplate no_bos("{{ bos_token is defined }}", "", "");
  EXPECT_EQ(no_bos.render(json::array(), json(), false), "False");
  EXPECT_THROW(t.render(json::object(), json(), false), junction::Error);
}

TEST(TemplateSource, FindsTemplates) {
  std::string data = JUNCTION_TEST_DATA;
  TemplateSource qwen = find_chat_template(data + "/models/qwen3-e2e-bf16");
  EXPECT_NE(qwen.text.find("<|im_start|>"), std::string::npos);
  EXPECT_EQ(qwen.eos_token, "<|im_end|>");
  TemplateSource ds = find_chat_template(data + "/tokenizer/deepseek-r1-0528-qwen3");
  EXPECT_NE(ds.text.find("<｜User｜>"), std::string::npos);
  EXPECT_NE(ds.origin.find("chat_template.jinja"), std::string::npos);

  fs::path dir =
      fs::temp_directory_path() / ("junction_chat_template_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer_config.json")
      << R"({"bos_token": {"content": "<s>"}, "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})";
  TemplateSource listed = find_chat_template(dir.string());
  EXPECT_EQ(listed.text, "D");
  EXPECT_EQ(listed.bos_token, "<s>");
  std::ofstream(dir / "override.jinja") << "O";
  EXPECT_EQ(find_chat_template(dir.string(), (dir / "override.jinja").string()).text, "O");
  EXPECT_THROW(find_chat_template((dir / "missing").string()), junction::Error);
  EXPECT_THROW(find_chat_template(dir.string(), (dir / "nope.jinja").string()), junction::Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction::chat
