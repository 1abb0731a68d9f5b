// libFuzzer target: `junction eval`'s readers of downloaded data (eval/README.md: the original
// releases' files): CSV (MMLU), JSON Lines, tar (MMLU's data.tar), zip (ARC's release) and
// HellaSwag's text preprocessing (of every context and ending read). A download is outside
// input: each reader must hand back what it read or throw junction::Error; a crash, another
// exception, a sanitizer report or unbounded memory is a bug.
//   build-fuzz/fuzz/eval_data_fuzz -max_len=1048576 -max_total_time=600
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/error.h"
#include "eval/csv.h"
#include "eval/data_files.h"
#include "eval/tar_archive.h"
#include "eval/tasks/multiple_choice_tasks.h"
#include "eval/zip_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace junction::eval;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto want_all = [](const std::string&) { return true; };
  const auto ignore = [](const std::string&, std::string) {};
  try {
    (void)parse_csv(text, "fuzz.csv");
  } catch (const junction::Error&) {
  }
  try {
    (void)parse_jsonl(text, "fuzz.jsonl");
  } catch (const junction::Error&) {
  }
  try {
    std::istringstream in(text);
    read_tar(in, want_all, ignore);
  } catch (const junction::Error&) {
  }
  try {
    read_zip(text, want_all, ignore);
  } catch (const junction::Error&) {
  }
  (void)hellaswag_preprocess(text);
  return 0;
}
