// An exclusive advisory lock (flock) on a small file, held for the object's lifetime. Two
// `junction pull` runs fetching the same file into the cache would both append to its .part;
// each takes <file>.lock first, so the second waits for the first and then finds the file done.
// The lock file is removed on release; a waiter that locked a file removed meanwhile notices
// (its inode is no longer the path's) and locks the new one instead.
#pragma once

#include <filesystem>
#include <optional>

namespace junction::pull {

class FileLock {
 public:
  // nullopt when another process (or another FileLock in this one) holds it.
  static std::optional<FileLock> try_acquire(const std::filesystem::path& path);
  // Waits as long as it takes.
  static FileLock acquire(const std::filesystem::path& path);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  FileLock(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  static std::optional<FileLock> lock(const std::filesystem::path& path, bool wait);
  void release();

  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace junction::pull
