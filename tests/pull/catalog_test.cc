#include "pull/catalog.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace junction::pull {
namespace {

TEST(Catalog, AliasDefaultsToQ4KM) {
  const ModelRef r = parse_model_ref("deepseek-r1-0528-qwen3-8b");
  EXPECT_EQ(r.repo, (RepoId{"unsloth", "DeepSeek-R1-0528-Qwen3-8B-GGUF"}));
  EXPECT_EQ(r.file, "DeepSeek-R1-0528-Qwen3-8B-Q4_K_M.gguf");
  EXPECT_EQ(r.revision, "main");
}

TEST(Catalog, QuantIsUpperCasedAndAliasCaseInsensitive) {
  const ModelRef r = parse_model_ref("Qwen3-8B:Q8_0");
  EXPECT_EQ(r.repo.str(), "bartowski/Qwen_Qwen3-8B-GGUF");
  EXPECT_EQ(r.file, "Qwen_Qwen3-8B-Q8_0.gguf");
  EXPECT_EQ(parse_model_ref("llama-3-8b-instruct:q6_k").file,
            "Meta-Llama-3.1-8B-Instruct-Q6_K.gguf");
}

TEST(Catalog, SafetensorsFormNamesTheOriginalRepoFolder) {
  const ModelRef r = parse_model_ref("qwen3-8b:safetensors");
  EXPECT_EQ(r.repo.str(), "Qwen/Qwen3-8B");
  EXPECT_TRUE(r.file.empty());
}

TEST(Catalog, EveryEntryParsesInEveryQuantization) {
  for (const auto& e : catalog()) {
    for (const auto& q : catalog_quantizations()) {
      const ModelRef r = parse_model_ref(e.alias + ":" + q);
      EXPECT_FALSE(r.repo.org.empty()) << e.alias;
      if (q != kSafetensorsQuantization) {
        EXPECT_TRUE(r.file.ends_with(".gguf")) << r.file;
      }
    }
    EXPECT_TRUE(looks_like_model_ref(e.alias));
  }
}

TEST(Catalog, UnknownAliasListsTheKnownOnes) {
  try {
    parse_model_ref("gpt-5");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("qwen3-8b"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("hf://"), std::string::npos);
  }
  EXPECT_THROW(parse_model_ref("qwen3-8b:q3_xs"), Error);
  EXPECT_FALSE(looks_like_model_ref("gpt-5"));
  EXPECT_FALSE(looks_like_model_ref("/models/qwen3"));
}

TEST(Catalog, HubUrls) {
  ModelRef r = parse_model_ref("hf://Qwen/Qwen3-8B");
  EXPECT_EQ(r.repo.str(), "Qwen/Qwen3-8B");
  EXPECT_TRUE(r.file.empty());
  r = parse_model_ref("hf://unsloth/X-GGUF/sub/X-Q4_K_M.gguf@abc123");
  EXPECT_EQ(r.repo.str(), "unsloth/X-GGUF");
  EXPECT_EQ(r.file, "sub/X-Q4_K_M.gguf");
  EXPECT_EQ(r.revision, "abc123");
  for (const char* bad : {"hf://", "hf://org", "hf://org/", "hf://../x", "hf://a/b/../c",
                          "hf://a/b/", "hf://a/b//c", "hf://a b/c", "hf://a/b@"})
    EXPECT_THROW(parse_model_ref(bad), Error) << bad;
}

TEST(Catalog, ModelFolderFilesWeightsFirstConfigLast) {
  const auto files = order_model_folder_files(
      {"README.md", "config.json", "model-00002-of-00002.safetensors", "tokenizer.json",
       "model.safetensors.index.json", "original/consolidated.00.pth", "generation_config.json",
       "model-00001-of-00002.safetensors", "tokenizer_config.json", ".gitattributes",
       "consolidated.safetensors"});
  const std::vector<std::string> want = {"generation_config.json",
                                         "model-00001-of-00002.safetensors",
                                         "model-00002-of-00002.safetensors",
                                         "model.safetensors.index.json",
                                         "tokenizer.json",
                                         "tokenizer_config.json",
                                         "config.json"};
  EXPECT_EQ(files, want);
}

}  // namespace
}  // namespace junction::pull
