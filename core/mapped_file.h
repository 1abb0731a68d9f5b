// A read-only memory map of a whole file. Weights stay in the page cache and are shared
// between processes; nothing is copied at load.
#pragma once

#include <cstddef>
#include <string>

namespace junction {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws Error
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;  // bytes
};

}  // namespace junction
