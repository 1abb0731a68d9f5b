// config.json parsing: defaults HF documents, the newer rope_parameters layout, DeepSeek's
// attn_factor, and refusals that name the offending field.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "model/config.h"
#include "model/rope.h"

namespace junction {
namespace {

std::string base_config(const std::string& model_type, const std::string& extra = "") {
  return R"({"model_type":")" + model_type +
         R"(","vocab_size":100,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,)"
         R"("num_attention_heads":4,"num_key_value_heads":2)" +
         extra + "}";
}

std::string error_of(const std::string& json) {
  try {
    parse_model_config(json, "config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, HeadDimDefaultsToHiddenOverHeads) {
  const auto c = parse_model_config(base_config("llama"), "config.json");
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.hidden_act, Activation::kSilu);
}

TEST(ModelConfig, FamilyFlags) {
  EXPECT_TRUE(parse_model_config(base_config("qwen2"), "c").qkv_bias);
  EXPECT_FALSE(parse_model_config(base_config("qwen2"), "c").o_bias);
  EXPECT_TRUE(parse_model_config(base_config("qwen3"), "c").qk_norm);
  const auto gemma = parse_model_config(base_config("gemma", R"(,"hidden_act":"gelu")"), "c");
  EXPECT_EQ(gemma.hidden_act, Activation::kGeluTanh);
  EXPECT_TRUE(gemma.tie_word_embeddings);
  EXPECT_EQ(
      parse_model_config(base_config("mistral", R"(,"sliding_window":4096)"), "c").sliding_window,
      4096);
  EXPECT_EQ(parse_model_config(base_config("llama", R"(,"eos_token_id":[1,2])"), "c").eos_token_ids,
            (std::vector<int64_t>{1, 2}));
}

TEST(ModelConfig, RefusesWhatItCannotCompute) {
  EXPECT_NE(error_of(base_config("falcon")).find("model_type 'falcon'"), std::string::npos);
  EXPECT_NE(error_of(base_config("phi3", R"(,"rope_scaling":{"type":"longrope","factor":2})"))
                .find("longrope"),
            std::string::npos);
  EXPECT_NE(error_of(base_config("llama", R"(,"hidden_act":"relu")")).find("hidden_act"),
            std::string::npos);
  EXPECT_NE(
      error_of(base_config("qwen2", R"(,"use_sliding_window":true)")).find("use_sliding_window"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"model_type":"llama","hidden_size":64})").find("vocab_size"),
            std::string::npos);
  EXPECT_NE(
      error_of(base_config("llama", R"(,"num_key_value_heads":3)")).find("num_key_value_heads"),
      std::string::npos);
  EXPECT_NE(error_of("[]").find("not a JSON object"), std::string::npos);
}

TEST(ModelConfig, RopeParametersLayout) {
  const auto c = parse_model_config(
      base_config(
          "qwen3",
          R"(,"max_position_embeddings":131072,"rope_parameters":{"rope_type":"yarn",)"
          R"("rope_theta":1000000.0,"factor":4.0,"original_max_position_embeddings":32768})"),
      "c");
  EXPECT_EQ(c.rope_theta, 1000000.0);
  EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::kYarn);
  EXPECT_EQ(c.rope_scaling.factor, 4.0);
}

// DeepSeek-R1-0528-Qwen3-8B's rope_scaling. vLLM computes the YaRN magnitude as
// yarn_get_mscale(factor) * attn_factor = (0.1 * ln 4 + 1) * 0.8782488562869419 = 1.0000.
TEST(Rope, YarnHonoursDeepSeekAttnFactorAsVllmDoes) {
  const auto c = parse_model_config(
      base_config("qwen3",
                  R"(,"head_dim":128,"max_position_embeddings":131072,"rope_theta":1000000,)"
                  R"("rope_scaling":{"rope_type":"yarn","factor":4.0,)"
                  R"("original_max_position_embeddings":32768,"attn_factor":0.8782488562869419})"),
      "c");
  const Rope rope(c);
  EXPECT_NEAR(rope.attention_factor(), (0.1 * std::log(4.0) + 1.0) * 0.8782488562869419, 1e-7);
  EXPECT_NEAR(rope.attention_factor(), 1.0, 1e-6);
  const auto plain = parse_model_config(
      base_config(
          "qwen3",
          R"(,"max_position_embeddings":131072,)"
          R"("rope_scaling":{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768})"),
      "c");
  EXPECT_NEAR(Rope(plain).attention_factor(), 0.1 * std::log(4.0) + 1.0, 1e-7);
}

// Default rope: inv_freq[i] = theta^(-2i/d) (RoFormer), cos/sin of position * inv_freq.
TEST(Rope, DefaultFrequenciesFollowTheDefinition) {
  const auto c = parse_model_config(base_config("llama", R"(,"rope_theta":10000)"), "c");
  const Rope rope(c);
  ASSERT_EQ(rope.inv_freq().size(), 8u);
  for (int i = 0; i < 8; ++i)
    EXPECT_NEAR(rope.inv_freq()[i], std::pow(10000.0, -2.0 * i / 16), 1e-7);
  float cos[8 * 2], sin[8 * 2];
  rope.fill(5, 2, cos, sin);
  EXPECT_NEAR(cos[8 + 1], std::cos(6 * std::pow(10000.0, -2.0 / 16)), 1e-6);
  EXPECT_NEAR(sin[0], std::sin(5.0), 1e-6);
}

}  // namespace
}  // namespace junction
