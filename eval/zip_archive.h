// A reader for zip archives (stored and deflated members, no zip64, no encryption), enough for
// AI2's ARC release (ARC-V1-Feb2018.zip): the central directory lists the members, each is
// inflated with zlib and checked against its CRC-32.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace junction::eval {

// Calls on_file(name, content) for each file member whose name want(name) accepts. Throws
// junction::Error on a malformed archive, an unsupported method or a CRC mismatch.
void read_zip(std::string_view archive, const std::function<bool(const std::string& name)>& want,
              const std::function<void(const std::string& name, std::string content)>& on_file);

}  // namespace junction::eval
