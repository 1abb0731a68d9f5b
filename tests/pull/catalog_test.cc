#include "pull/catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

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

TEST(Catalog, EveryEntryParsesInEveryQuantizationItOffers) {
  const auto& all = catalog_quantizations();
  for (const auto& e : catalog()) {
    // Each entry offers the default, and only quantizations the catalogue knows.
    EXPECT_TRUE(entry_offers(e, kDefaultQuantization)) << e.alias;
    for (const auto& q : e.gguf_quantizations)
      EXPECT_NE(std::find(all.begin(), all.end(), q), all.end()) << e.alias << ":" << q;
    for (const auto& q : all) {
      if (!entry_offers(e, q)) {
        EXPECT_THROW(parse_model_ref(e.alias + ":" + q), Error) << e.alias << ":" << q;
        continue;
      }
      const ModelRef r = parse_model_ref(e.alias + ":" + q);
      EXPECT_FALSE(r.repo.org.empty()) << e.alias;
      if (q != kSafetensorsQuantization) {
        EXPECT_TRUE(r.file.ends_with(".gguf")) << r.file;
      }
    }
    EXPECT_TRUE(looks_like_model_ref(e.alias));
  }
}

// Names as the hub publishes them, read from its listings (not from this catalogue):
// - unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF: the unsloth collection
//   https://huggingface.co/collections/unsloth/deepseek-r1-all-versions and the files
//   DeepSeek-R1-0528-Qwen3-8B-{Q4_0,Q4_K_M,Q5_K_M,Q6_K,Q8_0}.gguf fetched by public projects.
// - bartowski/Qwen_Qwen3-8B-GGUF: the README's download instructions
//   (https://model.aibase.com/en/models/details/1924737620978700288) name
//   "Qwen_Qwen3-8B-Q4_K_M.gguf".
// - bartowski/Meta-Llama-3.1-8B-Instruct-GGUF: tree pages
//   https://huggingface.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF/tree/4c506ee36f8097e80414dd2ed2dcf7055cae89e5
//   (Q4_K_M 4.92 GB, Q5_K_M 5.73 GB, Q6_K 6.6 GB) and .../tree/36f4a58... (Q8_0 8.54 GB).
// - bartowski/Mistral-7B-Instruct-v0.3-GGUF: the file table in
//   https://huggingface.co/bartowski/Mistral-7B-Instruct-v0.3-GGUF/blob/main/README.md
//   (Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q4_K_M, Q4_K_S, IQ4_NL, IQ4_XS, ...: no Q4_0).
// - bartowski/gemma-1.1-7b-it-GGUF: tree
//   https://huggingface.co/bartowski/gemma-1.1-7b-it-GGUF/tree/977053969545d1abfe364d0161f37e0de22fa54a
//   (Q4_0, Q4_K_M, Q5_K_M, Q6_K) of Gemma 1.1, whose original is google/gemma-1.1-7b-it.
// - bartowski/Phi-3.1-mini-4k-instruct-GGUF:
// https://huggingface.co/bartowski/Phi-3.1-mini-4k-instruct-GGUF
//   ("Original model: https://huggingface.co/microsoft/Phi-3-mini-4k-instruct"; Q8_0, Q6_K,
//   Q5_K_M, Q4_K_M in its table). bartowski/Phi-3-mini-4k-instruct-GGUF holds the April 2024
//   weights that microsoft/Phi-3-mini-4k-instruct no longer serves on main: its tree
//   https://huggingface.co/microsoft/Phi-3-mini-4k-instruct/tree/e5ef2ecae00bee901d5063bc86e1f86eba183702
//   has the weights of "Update model (#77)", the June 2024 release.
// - Safetensors trees: https://huggingface.co/Qwen/Qwen3-8B/tree/main,
//   https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.3/tree/main (gated: needs HF_TOKEN);
//   meta-llama/Llama-3.1-8B-Instruct and google/gemma-1.1-7b-it are gated too.
TEST(Catalog, NamesMatchTheHubListings) {
  const std::vector<std::pair<std::string, std::string>> want = {
      {"deepseek-r1-0528-qwen3-8b:q4_0",
       "unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF/DeepSeek-R1-0528-Qwen3-8B-Q4_0.gguf"},
      {"deepseek-r1-0528-qwen3-8b:q6_k",
       "unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF/DeepSeek-R1-0528-Qwen3-8B-Q6_K.gguf"},
      {"qwen3-8b", "bartowski/Qwen_Qwen3-8B-GGUF/Qwen_Qwen3-8B-Q4_K_M.gguf"},
      {"llama-3.1-8b-instruct:q5_k_m",
       "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF/Meta-Llama-3.1-8B-Instruct-Q5_K_M.gguf"},
      {"mistral-7b-instruct:q8_0",
       "bartowski/Mistral-7B-Instruct-v0.3-GGUF/Mistral-7B-Instruct-v0.3-Q8_0.gguf"},
      {"gemma-7b-it:q4_0", "bartowski/gemma-1.1-7b-it-GGUF/gemma-1.1-7b-it-Q4_0.gguf"},
      {"phi-3-mini-4k-instruct:q6_k",
       "bartowski/Phi-3.1-mini-4k-instruct-GGUF/Phi-3.1-mini-4k-instruct-Q6_K.gguf"},
      {"deepseek-r1-0528-qwen3-8b:safetensors", "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B/"},
      {"qwen3-8b:safetensors", "Qwen/Qwen3-8B/"},
      {"llama-3.1-8b-instruct:safetensors", "meta-llama/Llama-3.1-8B-Instruct/"},
      {"mistral-7b-instruct:safetensors", "mistralai/Mistral-7B-Instruct-v0.3/"},
      {"gemma-7b-it:safetensors", "google/gemma-1.1-7b-it/"},
      {"phi-3-mini-4k-instruct:safetensors", "microsoft/Phi-3-mini-4k-instruct/"},
  };
  for (const auto& [arg, path] : want) {
    const ModelRef r = parse_model_ref(arg);
    EXPECT_EQ(r.repo.str() + "/" + r.file, path) << arg;
  }
}

TEST(Catalog, AQuantizationTheRepoDoesNotPublishIsRefusedByName) {
  for (const char* arg : {"mistral-7b-instruct:q4_0", "phi-3-mini-4k-instruct:q4_0"}) {
    try {
      parse_model_ref(arg);
      ADD_FAILURE() << arg << " was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("q4_0"), std::string::npos) << what;
      EXPECT_NE(what.find("q4_k_m"), std::string::npos) << what;  // what to use instead
      EXPECT_NE(what.find("hf://"), std::string::npos) << what;
    }
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
