// open_model: the one way every command opens a model. The end-of-sequence rule on a folder
// whose generation_config.json, config.json and tokenizer name three different ends; a GGUF file
// brings its tokenizer and template; a pulled name resolves through the model cache
// ($JUNCTION_CACHE laid out as pull/model_cache.h says).
#include "session/open_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "session/end_of_sequence.h"

namespace junction::session {
namespace {

namespace fs = std::filesystem;

const fs::path kData = JUNCTION_TEST_DATA;
const fs::path kModel = kData / "models/qwen3-e2e-bf16";
const fs::path kGguf = kData / "gguf/qwen3-e2e-BF16.gguf";

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("junction-session-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// qwen3-e2e-bf16 with config.json's eos_token_id set to `config_eos` and a
// generation_config.json naming `generation_eos`; its tokenizer's eos stays <|im_end|> (151645).
void write_disagreeing_model(const fs::path& dir, int64_t config_eos, int64_t generation_eos) {
  fs::create_directories(dir);
  for (const char* f : {"model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    fs::create_symlink(kModel / f, dir / f);
  std::ifstream in(kModel / "config.json");
  auto config = nlohmann::json::parse(in);
  config["eos_token_id"] = config_eos;
  std::ofstream(dir / "config.json") << config.dump(2);
  std::ofstream(dir / "generation_config.json")
      << nlohmann::json{{"eos_token_id", {generation_eos}}}.dump();
}

TEST(EndOfSequence, IsGenerationConfigThenConfigThenTokenizerWithoutRepeats) {
  GenerationConfig generation;
  generation.eos_token_ids = {7, 3};
  ModelConfig config;
  config.vocab_size = 10;
  config.eos_token_ids = {3, 5, 12};  // 12 is outside the vocabulary
  EXPECT_EQ(end_of_sequence_ids(generation, config, 9), (std::vector<int32_t>{7, 3, 5, 9}));
  EXPECT_EQ(end_of_sequence_ids(generation, config, std::nullopt), (std::vector<int32_t>{7, 3, 5}));
  EXPECT_EQ(end_of_sequence_ids({}, {}, std::nullopt), std::vector<int32_t>{});
}

TEST(OpenModel, EndOfSequenceIdsAreTheUnionWhenTheFilesDisagree) {
  TempDir dir;
  write_disagreeing_model(dir.path() / "m", 14123, 151643);
  OpenOptions o;
  o.n_threads = 1;
  const OpenModel m = open_model((dir.path() / "m").string(), o);
  ASSERT_TRUE(m.tokenizer);
  EXPECT_EQ(m.tokenizer->eos_id(), 151645);
  EXPECT_EQ(m.eos_ids, (std::vector<int32_t>{151643, 14123, 151645}));
}

TEST(OpenModel, AGgufFileBringsItsTokenizerTemplateAndEos) {
  OpenOptions o;
  o.n_threads = 1;
  const OpenModel m = open_model(kGguf.string(), o);
  EXPECT_EQ(m.path, kGguf.string());
  ASSERT_TRUE(m.tokenizer);
  EXPECT_TRUE(m.chat_template);
  EXPECT_NE(std::find(m.eos_ids.begin(), m.eos_ids.end(), 151645), m.eos_ids.end());
  EXPECT_TRUE(m.backend);
  EXPECT_EQ(m.n_threads, 1);
}

TEST(OpenModel, APulledNameOpensFromTheModelCache) {
  TempDir cache;
  fs::create_directories(cache.path() / "acme/tiny-GGUF");
  fs::create_symlink(kGguf, cache.path() / "acme/tiny-GGUF/tiny.gguf");
  fs::create_directories(cache.path() / "acme");
  fs::create_symlink(kModel, cache.path() / "acme/tiny-model");
  const char* old = std::getenv("JUNCTION_CACHE");
  const std::string saved = old ? old : "";
  setenv("JUNCTION_CACHE", cache.path().c_str(), 1);
  OpenOptions o;
  o.n_threads = 1;
  const OpenModel file = open_model("hf://acme/tiny-GGUF/tiny.gguf", o);
  EXPECT_EQ(file.path, (cache.path() / "acme/tiny-GGUF/tiny.gguf").string());
  EXPECT_TRUE(file.tokenizer);
  const OpenModel folder = open_model("hf://acme/tiny-model", o);
  EXPECT_EQ(folder.path, (cache.path() / "acme/tiny-model").string());
  EXPECT_TRUE(folder.chat_template);
  if (old)
    setenv("JUNCTION_CACHE", saved.c_str(), 1);
  else
    unsetenv("JUNCTION_CACHE");
}

TEST(OpenModel, AFolderWithoutAChatTemplateOpensWithoutOne) {
  TempDir dir;
  for (const char* f : {"model.safetensors", "tokenizer.json", "config.json"})
    fs::create_symlink(kModel / f, dir.path() / f);
  std::ifstream in(kModel / "tokenizer_config.json");
  auto config = nlohmann::json::parse(in);
  config.erase("chat_template");
  std::ofstream(dir.path() / "tokenizer_config.json") << config.dump();
  OpenOptions o;
  o.n_threads = 1;
  const OpenModel m = open_model(dir.path().string(), o);
  EXPECT_TRUE(m.tokenizer);
  EXPECT_FALSE(m.chat_template);
}

}  // namespace
}  // namespace junction::session
