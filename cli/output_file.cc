#include "cli/output_file.h"

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace junction::cli {

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) throw Error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace junction::cli
