#include "pull/hub_url.h"

#include <gtest/gtest.h>

namespace junction::pull {
namespace {

TEST(HubUrl, Layout) {
  const RepoId repo{"unsloth", "DeepSeek-R1-0528-Qwen3-8B-GGUF"};
  EXPECT_EQ(resolve_url("", repo, "main", "DeepSeek-R1-0528-Qwen3-8B-Q4_K_M.gguf"),
            "https://huggingface.co/unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF/resolve/main/"
            "DeepSeek-R1-0528-Qwen3-8B-Q4_K_M.gguf");
  EXPECT_EQ(tree_url("http://127.0.0.1:9000///", repo, "main"),
            "http://127.0.0.1:9000/api/models/unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF/tree/main"
            "?recursive=true");
  EXPECT_EQ(resolve_url("https://hf-mirror.com/", {"a", "b"}, "refs/pr/1", "dir/a b+c.json"),
            "https://hf-mirror.com/a/b/resolve/refs%2Fpr%2F1/dir/a%20b%2Bc.json");
  EXPECT_EQ(repo_page_url("", repo),
            "https://huggingface.co/unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF");
}

}  // namespace
}  // namespace junction::pull
