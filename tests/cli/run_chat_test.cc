// `junction run` end to end, through the real binary: chat messages of
// tests/data/models/qwen3-e2e-bf16/chat_refs.json (made with transformers) are rendered with the
// model's chat template, tokenized, and generated greedily; the prompt ids, the output ids and
// the decoded text must equal the reference's.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

const std::string kModel = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return out;
}

TEST(RunCommand, ChatMessagesReproduceTransformers) {
  std::ifstream in(kModel + "/chat_refs.json");
  const auto refs = nlohmann::json::parse(in);
  ASSERT_FALSE(refs.empty());
  const auto dir =
      std::filesystem::temp_directory_path() / ("junction_run_chat_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  int index = 0;
  for (const auto& ref : refs) {
    const auto messages_file = dir / ("messages_" + std::to_string(index++) + ".json");
    std::ofstream(messages_file) << ref["messages"].dump();
    const size_t n = ref["greedy_ids"].size();
    const std::string out =
        run_command(std::string(JUNCTION_BINARY) + " run --model " + kModel + " --messages @" +
                    messages_file.string() + " --temperature 0 --ignore-eos -n " +
                    std::to_string(n) + " --json 2>/dev/null");
    const auto got = nlohmann::json::parse(out);
    EXPECT_EQ(got["prompt_text"], ref["prompt_text"]);
    EXPECT_EQ(got["prompt_ids"], ref["prompt_ids"]);
    EXPECT_EQ(got["output_ids"], ref["greedy_ids"]);
    EXPECT_EQ(got["text"], ref["greedy_text"]);
  }
  std::filesystem::remove_all(dir);
}

// The same through the BF16 GGUF made by llama.cpp's converter: tokenizer and chat template come
// from the GGUF metadata.
TEST(RunCommand, GgufChatMessagesReproduceTransformers) {
  std::ifstream in(kModel + "/chat_refs.json");
  const auto refs = nlohmann::json::parse(in);
  const std::string gguf = std::string(JUNCTION_TEST_DATA) + "/gguf/qwen3-e2e-BF16.gguf";
  const auto messages_file = std::filesystem::temp_directory_path() /
                             ("junction_gguf_chat_" + std::to_string(getpid()) + ".json");
  for (const auto& ref : refs) {
    std::ofstream(messages_file) << ref["messages"].dump();
    const std::string out =
        run_command(std::string(JUNCTION_BINARY) + " run --model " + gguf + " --messages @" +
                    messages_file.string() + " --temperature 0 --ignore-eos -n " +
                    std::to_string(ref["greedy_ids"].size()) + " --json 2>/dev/null");
    const auto got = nlohmann::json::parse(out);
    EXPECT_EQ(got["prompt_ids"], ref["prompt_ids"]);
    EXPECT_EQ(got["output_ids"], ref["greedy_ids"]);
    EXPECT_EQ(got["text"], ref["greedy_text"]);
  }
  std::filesystem::remove(messages_file);
}

// The model's files name three different ends of sequence: generation_config.json <|endoftext|>,
// the tokenizer <|im_end|>, and config.json (here) the third token the model writes greedily
// for the second reference chat. run stops at every one of them (session/end_of_sequence.h), as
// serve and in-process eval do.
TEST(RunCommand, StopsAtEveryEndOfSequenceTheModelFilesName) {
  std::ifstream in(kModel + "/chat_refs.json");
  const auto refs = nlohmann::json::parse(in);
  const auto& ref = refs.at(1);
  const int32_t third = ref["greedy_ids"][2];
  ASSERT_NE(ref["greedy_ids"][0], third);
  ASSERT_NE(ref["greedy_ids"][1], third);
  const auto dir =
      std::filesystem::temp_directory_path() / ("junction_run_eos_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  for (const char* f : {"model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    std::filesystem::create_symlink(std::filesystem::path(kModel) / f, dir / f);
  std::ifstream config_in(kModel + "/config.json");
  auto config = nlohmann::json::parse(config_in);
  config["eos_token_id"] = third;
  std::ofstream(dir / "config.json") << config.dump();
  std::ofstream(dir / "generation_config.json") << R"({"eos_token_id": [151643]})";
  std::ofstream(dir / "messages.json") << ref["messages"].dump();
  const std::string out =
      run_command(std::string(JUNCTION_BINARY) + " run --model " + dir.string() + " --messages @" +
                  (dir / "messages.json").string() + " --temperature 0 -n 16 --json 2>/dev/null");
  const auto got = nlohmann::json::parse(out);
  EXPECT_EQ(got["output_ids"], nlohmann::json({ref["greedy_ids"][0], ref["greedy_ids"][1], third}));
  EXPECT_EQ(got["finish_reason"], "stop");
  std::filesystem::remove_all(dir);
}

// Speculative decoding changes no greedy token: prompt lookup, and the model as its own draft
// (every draft kept), against the transformers reference.
TEST(RunCommand, SpeculativeDecodingReproducesTransformers) {
  std::ifstream in(kModel + "/chat_refs.json");
  const auto refs = nlohmann::json::parse(in);
  ASSERT_FALSE(refs.empty());
  const auto dir =
      std::filesystem::temp_directory_path() / ("junction_run_spec_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  for (const std::string& flags :
       std::vector<std::string>{" --ngram", " --model-draft " + kModel + " --draft-max 4"}) {
    int index = 0;
    for (const auto& ref : refs) {
      const auto messages_file = dir / ("messages_" + std::to_string(index++) + ".json");
      std::ofstream(messages_file) << ref["messages"].dump();
      const size_t n = ref["greedy_ids"].size();
      const std::string out =
          run_command(std::string(JUNCTION_BINARY) + " run --model " + kModel + " --messages @" +
                      messages_file.string() + " --temperature 0 --ignore-eos -n " +
                      std::to_string(n) + flags + " --json 2>/dev/null");
      const auto got = nlohmann::json::parse(out);
      EXPECT_EQ(got["output_ids"], ref["greedy_ids"]) << flags;
      EXPECT_TRUE(got.contains("draft_tokens")) << flags;
      if (flags != " --ngram") {
        EXPECT_EQ(got["accepted_draft_tokens"], got["draft_tokens"]);
      }
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(RunCommand, ADraftModelOfAnotherVocabularyIsRefused) {
  const std::string out = run_command(
      std::string(JUNCTION_BINARY) + " run --model " + kModel + " --prompt-ids 1,2 -n 2" +
      " --model-draft " + JUNCTION_TEST_DATA + "/models/qwen3-tiny-tied-f32 2>&1; true");
  EXPECT_NE(out.find("the draft model's vocabulary has 2048 tokens but the target's has 151936"),
            std::string::npos)
      << out;
}

TEST(RunCommand, BadInputIsAnErrorNotACrash) {
  const std::string base = std::string(JUNCTION_BINARY) + " run --model " + kModel;
  for (const std::string args :
       {" --prompt-ids 1,x,3", " --prompt-ids 999999999", " --messages '[1'", " --messages '{}'",
        " --prompt-ids 1 --chat hi", ""}) {
    const int status = std::system((base + args + " -n 2 >/dev/null 2>&1").c_str());
    ASSERT_TRUE(WIFEXITED(status)) << args;
    EXPECT_EQ(WEXITSTATUS(status), 1) << args;
  }
  const int status = std::system(
      (std::string(JUNCTION_BINARY) + " run --model /nonexistent --prompt-ids 1 >/dev/null 2>&1")
          .c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);
}

}  // namespace
