// LocalEngineBackend's generation: it stops where `junction run` and `serve` stop (every end of
// sequence the model's files name, session/end_of_sequence.h), and cuts at stop strings as the
// server does (engine/stop_strings.h).
#include "eval/local_engine_backend.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>

namespace junction::eval {
namespace {

namespace fs = std::filesystem;

const fs::path kModel = fs::path(JUNCTION_TEST_DATA) / "models/qwen3-e2e-bf16";

// The second chat of chat_refs.json and its greedy output (made with transformers).
struct Reference {
  std::vector<ChatMessage> messages;
  std::vector<int32_t> greedy_ids;
};

Reference second_chat() {
  std::ifstream in(kModel / "chat_refs.json");
  const auto ref = nlohmann::json::parse(in).at(1);
  Reference r;
  for (const auto& m : ref["messages"])
    r.messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  r.greedy_ids = ref["greedy_ids"].get<std::vector<int32_t>>();
  return r;
}

TEST(LocalEngineBackend, StopsAtConfigJsonsEndOfSequenceToo) {
  // generation_config.json names <|endoftext|>, the tokenizer <|im_end|>, config.json the third
  // token of the greedy answer.
  const Reference ref = second_chat();
  const int32_t third = ref.greedy_ids[2];
  ASSERT_NE(ref.greedy_ids[0], third);
  ASSERT_NE(ref.greedy_ids[1], third);
  const fs::path dir =
      fs::temp_directory_path() / ("junction-eval-eos-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  for (const char* f : {"model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    fs::create_symlink(kModel / f, dir / f);
  std::ifstream config_in(kModel / "config.json");
  nlohmann::json config = nlohmann::json::parse(config_in);
  config["eos_token_id"] = third;
  std::ofstream(dir / "config.json") << config.dump();
  std::ofstream(dir / "generation_config.json") << R"({"eos_token_id": [151643]})";
  {
    LocalEngineBackend backend(dir.string(), 1);
    EXPECT_EQ(backend.eos_ids(), (std::vector<int32_t>{151643, third, 151645}));
    GenerationParams p;
    p.max_tokens = 16;
    const Generation g = backend.chat(ref.messages, p);
    EXPECT_EQ(g.completion_tokens, 3);
    EXPECT_EQ(g.finish_reason, "stop");
  }
  fs::remove_all(dir);
}

TEST(LocalEngineBackend, CutsAtTheFirstStopString) {
  LocalEngineBackend backend(kModel.string(), 1);
  const Reference ref = second_chat();
  GenerationParams p;
  p.max_tokens = static_cast<int64_t>(ref.greedy_ids.size());
  const Generation whole = backend.chat(ref.messages, p);
  ASSERT_EQ(whole.completion_tokens, p.max_tokens);
  ASSERT_GE(whole.text.size(), 4u);
  // A stop string from the middle of the text: the text ends before it, generation stops there.
  const std::string stop = whole.text.substr(whole.text.size() / 2, 2);
  p.stop = {stop};
  const Generation cut = backend.chat(ref.messages, p);
  EXPECT_EQ(cut.text, whole.text.substr(0, whole.text.find(stop)));
  EXPECT_EQ(cut.finish_reason, "stop");
  EXPECT_LT(cut.completion_tokens, whole.completion_tokens);
}

}  // namespace
}  // namespace junction::eval
