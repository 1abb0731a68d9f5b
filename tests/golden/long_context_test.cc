// qwen3-long-yarn-f32: a 33,000-token prompt crossing YaRN's original 32,768-token window.
// The reference logits of the last 64 positions and its greedy tokens must be reproduced.
// Labelled slow: about a minute of attention over 33k positions on two cores.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "core/thread_pool.h"
#include "engine/sampler.h"
#include "engine/sequence.h"
#include "kernels/ops.h"
#include "model/model.h"

namespace junction {
namespace {

TEST(LongContext, YarnBeyondOriginalWindowMatchesReference) {
  const std::string dir = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-long-yarn-f32";
  std::ifstream in(dir + "/refs.json");
  const auto refs = nlohmann::json::parse(in);
  const auto& prompt = refs["prompts"][0];
  const auto ids = prompt["ids"].get<std::vector<int32_t>>();
  const auto positions = prompt["logits_positions"].get<std::vector<int64_t>>();
  ASSERT_EQ(ids.size(), 33000u);
  const auto model = Model::load(dir);
  const int64_t V = model->config().vocab_size;

  std::ifstream lf(dir + "/" + prompt["logits_file"].get<std::string>(), std::ios::binary);
  std::vector<float> want((positions[1] - positions[0]) * V);
  lf.read(reinterpret_cast<char*>(want.data()), static_cast<std::streamsize>(want.size() * 4));
  ASSERT_TRUE(lf);

  ThreadPool pool(2);
  auto backend = kernels::make_cpu_backend(pool);
  const size_t n_greedy = prompt.contains("greedy") ? prompt["greedy"].size() : 0;
  Sequence seq(*model, static_cast<int64_t>(ids.size() + n_greedy), kKvCacheF32);
  const std::span<const int32_t> all(ids);
  seq.feed(*backend, all.first(positions[0]), 512);
  std::vector<float> got;
  std::span<float> last = seq.feed(*backend, all.subspan(positions[0]), 512, &got);
  double max_err = 0;
  for (size_t i = 0; i < want.size(); ++i)
    max_err = std::max(max_err, double(std::fabs(got[i] - want[i])));
  EXPECT_LE(max_err, 1e-3);
  RecordProperty("max_abs_logit_error", std::to_string(max_err));

  if (n_greedy > 0) {
    const auto greedy_want = prompt["greedy"].get<std::vector<int32_t>>();
    const auto margins = prompt["greedy_margins"].get<std::vector<double>>();
    std::vector<float> logits(last.begin(), last.end());
    for (size_t i = 0; i < n_greedy; ++i) {
      const int32_t token = argmax(logits);
      if (token != greedy_want[i]) {
        EXPECT_LT(margins[i], 1e-3) << "greedy step " << i;
        break;
      }
      const int32_t next[1] = {token};
      auto l = seq.feed(*backend, next);
      logits.assign(l.begin(), l.end());
    }
  }
}

}  // namespace
}  // namespace junction
