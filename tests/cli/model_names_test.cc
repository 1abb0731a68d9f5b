// Every command that takes a model takes it the same way (session/open_model.h): a Hugging Face
// folder, a GGUF file or a pulled name. The pulled names here live in a temporary model cache
// ($JUNCTION_CACHE, laid out <root>/<org>/<repo>[/<file>] as pull/model_cache.h says) that links
// to the fixtures.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace {

namespace fs = std::filesystem;

const fs::path kData = JUNCTION_TEST_DATA;
const std::string kGguf = (kData / "gguf/qwen3-e2e-BF16.gguf").string();
const std::string kPulledGguf = "hf://acme/tiny-GGUF/tiny.gguf";
const std::string kPulledFolder = "hf://acme/tiny-model";

std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  return {pclose(pipe), out};
}

class ModelNames : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("junction-model-names-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_ / "cache/acme/tiny-GGUF");
    fs::create_symlink(kGguf, dir_ / "cache/acme/tiny-GGUF/tiny.gguf");
    fs::create_symlink(kData / "models/qwen3-e2e-bf16", dir_ / "cache/acme/tiny-model");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `junction ARGS` with the temporary cache.
  std::pair<int, std::string> junction(const std::string& args) {
    return run("JUNCTION_CACHE=" + (dir_ / "cache").string() + " " + JUNCTION_BINARY + " " + args);
  }

  // In-process eval of two HellaSwag documents; returns the result file.
  nlohmann::json eval(const std::string& model) {
    const fs::path out = dir_ / "result.json";
    const auto [status, log] =
        junction("eval --model-path " + model + " --task hellaswag --limit 2 --threads 1 --data " +
                 (kData / "eval/datasets").string() + " --out " + out.string());
    EXPECT_EQ(status, 0) << log;
    std::ifstream in(out);
    return in ? nlohmann::json::parse(in) : nlohmann::json();
  }

  fs::path dir_;
};

TEST_F(ModelNames, InfoTakesAPulledName) {
  for (const std::string& model : {kPulledGguf, kPulledFolder}) {
    const auto [status, out] = junction("info " + model);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("architecture  qwen3"), std::string::npos) << out;
  }
}

TEST_F(ModelNames, BenchModelTakesAPulledName) {
  const auto [status, out] = junction("bench-model " + kPulledGguf + " -t 1 -p 8 -n 2 -r 1");
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("decode"), std::string::npos) << out;
}

TEST_F(ModelNames, InProcessEvalTakesAGgufFileAndPulledNames) {
  for (const std::string& model : {kGguf, kPulledGguf, kPulledFolder}) {
    const nlohmann::json r = eval(model);
    ASSERT_TRUE(r.contains("tasks")) << model;
    EXPECT_EQ(r["tasks"]["hellaswag"]["samples"], 2) << model;
  }
}

TEST_F(ModelNames, RunTakesAGgufFileAndPulledNames) {
  for (const std::string& model : {kGguf, kPulledGguf, kPulledFolder}) {
    const auto [status, out] = junction("run --model " + model + " --prompt-ids 1,2,3 -n 2");
    EXPECT_EQ(status, 0) << model << ": " << out;
  }
}

}  // namespace
