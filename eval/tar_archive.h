// A reader for POSIX tar archives (ustar, with GNU long names), enough for the MMLU release
// (people.eecs.berkeley.edu/~hendrycks/data.tar): walks the members in order and hands the
// regular files a caller wants to it whole. No compression, no sparse files, no pax headers
// beyond skipping them.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>

namespace junction::eval {

// Calls on_file(name, content) for each regular file whose name want(name) accepts; the others
// are skipped without being read into memory. Throws junction::Error on a malformed archive.
void read_tar(std::istream& in, const std::function<bool(const std::string& name)>& want,
              const std::function<void(const std::string& name, std::string content)>& on_file);

}  // namespace junction::eval
