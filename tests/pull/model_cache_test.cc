#include "pull/model_cache.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "core/error.h"

namespace junction::pull {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("junction-cache-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

TEST(ModelCache, RootPrecedence) {
  EXPECT_EQ(cache_root({"/c", "/x", "/h"}), fs::path("/c"));
  EXPECT_EQ(cache_root({"", "/x", "/h"}), fs::path("/x/junction/models"));
  EXPECT_EQ(cache_root({"", "", "/h"}), fs::path("/h/.cache/junction/models"));
  EXPECT_THROW(cache_root({"", "", ""}), Error);
}

TEST(ModelCache, Layout) {
  EXPECT_EQ(cache_path("/c", parse_model_ref("qwen3-8b")),
            fs::path("/c/bartowski/Qwen_Qwen3-8B-GGUF/Qwen_Qwen3-8B-Q4_K_M.gguf"));
  EXPECT_EQ(cache_path("/c", parse_model_ref("qwen3-8b:safetensors")),
            fs::path("/c/Qwen/Qwen3-8B"));
  EXPECT_EQ(cache_path("/c", parse_model_ref("hf://a/b/sub/f.gguf")),
            fs::path("/c/a/b/sub/f.gguf"));
}

TEST(ModelCache, ResolveModelPath) {
  TempDir dir;
  // An existing path is returned as given, even when it looks like nothing we know.
  const fs::path local = dir.path() / "my-model";
  touch(local / "config.json");
  EXPECT_EQ(resolve_model_path(local.string(), dir.path()), local.string());

  try {
    resolve_model_path("qwen3-8b", dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run: junction pull qwen3-8b"), std::string::npos)
        << e.what();
  }
  const fs::path gguf = dir.path() / "bartowski/Qwen_Qwen3-8B-GGUF/Qwen_Qwen3-8B-Q4_K_M.gguf";
  touch(gguf);
  EXPECT_EQ(resolve_model_path("qwen3-8b", dir.path()), gguf.string());
  EXPECT_EQ(resolve_model_path("Qwen3-8B:q4_k_m", dir.path()), gguf.string());

  // A folder counts once its config.json is there (pulls fetch it last).
  touch(dir.path() / "Qwen/Qwen3-8B/model.safetensors");
  EXPECT_THROW(resolve_model_path("hf://Qwen/Qwen3-8B", dir.path()), Error);
  touch(dir.path() / "Qwen/Qwen3-8B/config.json");
  EXPECT_EQ(resolve_model_path("hf://Qwen/Qwen3-8B", dir.path()),
            (dir.path() / "Qwen/Qwen3-8B").string());
  EXPECT_EQ(resolve_model_path("qwen3-8b:safetensors", dir.path()),
            (dir.path() / "Qwen/Qwen3-8B").string());

  EXPECT_THROW(resolve_model_path("/no/such/model", dir.path()), Error);
  EXPECT_THROW(resolve_model_path("gpt-5", dir.path()), Error);
}

}  // namespace
}  // namespace junction::pull
