// The files commands write (result JSON, reports): written whole to PATH.tmp and renamed over
// PATH, so an interrupted run never leaves a half-written file where a good one was.
#pragma once

#include <string>

namespace junction::cli {

// Throws junction::Error when the file cannot be written.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace junction::cli
