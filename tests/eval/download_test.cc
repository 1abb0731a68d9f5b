// `junction eval --download` against a local nginx that serves the original releases' URL
// layout (MIRROR/HOST/PATH): MMLU's data.tar (a tar made by Python's tarfile, with members
// that must be skipped and a GNU long name), AI2's ARC zip (deflated by Python's zipfile), and
// the plain files of HellaSwag, TruthfulQA, HumanEval, MT-Bench and the math tasks. The folder it
// fills must hold the same bytes and load with every task loader; a second run fetches nothing; a
// missing required file fails naming its URL; a missing licence is skipped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "eval/tasks/humaneval.h"
#include "eval/tasks/math_problems.h"
#include "eval/tasks/mt_bench.h"
#include "eval/tasks/multiple_choice_tasks.h"
#include "tests/support/nginx_process.h"
#include "tests/support/serve_process.h"

namespace junction::eval {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run_command;

const std::string kData = std::string(JUNCTION_TEST_DATA) + "/eval/datasets";

// Lays out www/ as the original hosts do, from the small dataset copies in tests/data.
constexpr const char* kMakeMirror = R"PY(
import gzip, io, json, os, shutil, sys, tarfile, zipfile
data, www = sys.argv[1], sys.argv[2]
def put(rel, content):
    path = os.path.join(www, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f: f.write(content)
def src(rel): return open(os.path.join(data, rel), 'rb').read()
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w', format=tarfile.GNU_FORMAT) as t:
    def add(name, content):
        info = tarfile.TarInfo(name); info.size = len(content); t.addfile(info, io.BytesIO(content))
    for subject in ['abstract_algebra', 'college_biology']:
        add('data/dev/%s_dev.csv' % subject, src('mmlu/dev/%s_dev.csv' % subject))
        add('data/test/%s_test.csv' % subject, src('mmlu/test/%s_test.csv' % subject))
    add('data/val/abstract_algebra_val.csv', b'q,a,b,c,d,A\n')
    add('data/auxiliary_train/' + 'x' * 120 + '.csv', b'long name\n')
put('people.eecs.berkeley.edu/~hendrycks/data.tar', buf.getvalue())
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
    for s in ['Challenge', 'Easy']:
        for split in ['Train', 'Test']:
            z.writestr('ARC-V1-Feb2018-2/ARC-%s/ARC-%s-%s.jsonl' % (s, s, split),
                       src('arc/ARC-%s-%s.jsonl' % (s, split)))
        z.writestr('ARC-V1-Feb2018-2/ARC-%s/ARC-%s-Test.csv' % (s, s), 'not wanted\n')
    z.writestr('ARC-V1-Feb2018-2/README.txt', 'not wanted\n')
put('ai2-public-datasets.s3.amazonaws.com/arc/ARC-V1-Feb2018.zip', buf.getvalue())
gh = 'raw.githubusercontent.com/'
def hs(i, label):
    return json.dumps({'ind': i, 'activity_label': 'Making tea', 'ctx_a': 'A man fills a kettle.',
                       'ctx_b': 'he', 'endings': ['boils it.', 'eats it.', 'paints it.', 'sells it.'],
                       'label': label}) + '\n'
put(gh + 'rowanz/hellaswag/master/data/hellaswag_val.jsonl', (hs(0, 0) + hs(1, 0)).encode())
put(gh + 'rowanz/hellaswag/master/data/hellaswag_train.jsonl', hs(2, 0).encode())
put(gh + 'sylinrl/TruthfulQA/main/data/v0/mc_task.json', src('truthfulqa/v0/mc_task.json'))
put(gh + 'sylinrl/TruthfulQA/main/LICENSE', src('truthfulqa/LICENSE'))
put(gh + 'openai/human-eval/master/data/HumanEval.jsonl.gz', src('humaneval/HumanEval.jsonl.gz'))
fc = gh + 'lm-sys/FastChat/main/fastchat/llm_judge/data/'
put(fc + 'mt_bench/question.jsonl', src('mt_bench/question.jsonl'))
put(fc + 'mt_bench/reference_answer/gpt-4.jsonl', src('mt_bench/reference_answer/gpt-4.jsonl'))
put(fc + 'judge_prompts.jsonl', src('mt_bench/judge_prompts.jsonl'))
qm = gh + 'QwenLM/Qwen2.5-Math/a45202bd16f1ec06f433442dc1152d0074773465/evaluation/data/'
for t in ['aime24', 'amc23', 'gsm8k']:
    put(qm + t + '/test.jsonl', src(t + '/test.jsonl'))
)PY";

TEST(EvalDownload, FetchesTheOriginalReleasesLayoutFromAMirror) {
  if (!fs::exists("/usr/bin/python3"))
    GTEST_FAIL() << "python3 makes the archives (scripts/install_deps.sh installs it)";
  const fs::path dir =
      fs::temp_directory_path() / ("junction_eval_download_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "www");
  std::ofstream(dir / "make_mirror.py") << kMakeMirror;
  ASSERT_EQ(run_command("python3 " + (dir / "make_mirror.py").string() + " " + kData + " " +
                        (dir / "www").string()),
            0);
  testing::NginxProcess nginx(dir / "www", dir / "nginx");
  if (nginx.port() == 0)
    GTEST_FAIL() << "nginx did not start (scripts/install_deps.sh installs it)";

  const fs::path out = dir / "data";
  const std::string download =
      std::string(JUNCTION_BINARY) +
      " eval --download --task mmlu,arc_challenge,arc_easy,hellaswag,truthfulqa_mc2,humaneval,"
      "mt_bench,aime24,amc23,gsm8k --data " +
      out.string() + " --download-mirror " + nginx.url() + " > " + (dir / "out.txt").string() +
      " 2>&1";
  ASSERT_EQ(run_command(download), 0) << read_file(dir / "out.txt");

  // The same bytes, where the loaders look for them; nothing the layout does not name.
  for (const char* rel :
       {"mmlu/dev/abstract_algebra_dev.csv", "mmlu/test/college_biology_test.csv",
        "arc/ARC-Challenge-Train.jsonl", "arc/ARC-Easy-Test.jsonl", "truthfulqa/v0/mc_task.json",
        "truthfulqa/LICENSE", "humaneval/HumanEval.jsonl.gz", "mt_bench/question.jsonl",
        "mt_bench/reference_answer/gpt-4.jsonl", "mt_bench/judge_prompts.jsonl",
        "aime24/test.jsonl", "amc23/test.jsonl", "gsm8k/test.jsonl"})
    EXPECT_EQ(read_file(out / rel), read_file(fs::path(kData) / rel)) << rel;
  EXPECT_FALSE(fs::exists(out / "mmlu" / "val"));
  EXPECT_FALSE(fs::exists(out / "arc" / "ARC-Challenge-Test.csv"));
  EXPECT_FALSE(fs::exists(out / "hellaswag" / "LICENSE"));  // optional, and not served
  EXPECT_NE(read_file(dir / "out.txt").find("skipped (optional)"), std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    EXPECT_NE(e.path().extension(), ".part") << "a partial file was left: " << e.path();
    EXPECT_EQ(e.path().filename().string().rfind(".download", 0), std::string::npos)
        << "an archive was left: " << e.path();
  }
  const auto manifest = nlohmann::json::parse(read_file(out / "download.json"));
  const auto& arc =
      manifest["sources"]["https://ai2-public-datasets.s3.amazonaws.com/arc/ARC-V1-Feb2018.zip"];
  EXPECT_EQ(arc["files"].size(), 4u);
  EXPECT_EQ(arc["archive_sha256"].get<std::string>().size(), 64u);

  // Every loader reads the folder (HellaSwag from the jsonl release now, 1-shot from train).
  EXPECT_EQ(load_mmlu(out, 5).docs.size(), load_mmlu(kData, 5).docs.size());
  EXPECT_EQ(load_arc(out, true, 25).docs.size(), 3u);
  EXPECT_EQ(load_arc(out, false, 25).docs.size(), load_arc(kData, false, 25).docs.size());
  const MultipleChoiceTask hs = load_hellaswag(out, 1);
  ASSERT_EQ(hs.docs.size(), 2u);
  EXPECT_EQ(
      hs.docs[0].context,
      "Making tea: A man fills a kettle. He boils it.\n\nMaking tea: A man fills a kettle. He");
  EXPECT_EQ(load_truthfulqa_mc2(out, 0).docs.size(), 3u);
  EXPECT_EQ(load_humaneval(out / "humaneval" / "HumanEval.jsonl.gz").size(), 3u);
  EXPECT_EQ(load_mt_bench(out).questions.size(), 8u);
  for (const char* task : {"aime24", "amc23", "gsm8k"})
    EXPECT_EQ(load_math_task(out, task).problems.size(), 3u) << task;

  // Again: download.json says every file is there, so nothing is fetched (only the missing
  // optional licence is asked for again).
  const auto fetched = [&] {
    const std::string log = nginx.access_log();
    size_t n = 0;
    for (size_t at = log.find("200 "); at != std::string::npos; at = log.find("\n200 ", at + 1))
      ++n;
    return n;
  };
  const size_t before = fetched();
  EXPECT_GE(before, 10u);
  ASSERT_EQ(run_command(download), 0) << read_file(dir / "out.txt");
  EXPECT_EQ(fetched(), before) << nginx.access_log();

  // A mirror without the files: the first required one fails, naming its URL.
  const std::string broken = std::string(JUNCTION_BINARY) +
                             " eval --download --task humaneval --data " + (dir / "d2").string() +
                             " --download-mirror " + nginx.url() + "/nothing > " +
                             (dir / "out2.txt").string() + " 2>&1";
  EXPECT_NE(run_command(broken), 0);
  EXPECT_NE(read_file(dir / "out2.txt")
                .find("/nothing/raw.githubusercontent.com/openai/human-eval/master/data/"
                      "HumanEval.jsonl.gz: HTTP 404"),
            std::string::npos)
      << read_file(dir / "out2.txt");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction::eval
