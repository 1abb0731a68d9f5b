#include "pull/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.h"

namespace junction::pull {

std::optional<FileLock> FileLock::lock(const std::filesystem::path& path, bool wait) {
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot open lock file " + path.string() + ": " + std::strerror(errno));
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return std::nullopt;
      throw Error("cannot lock " + path.string() + ": " + std::strerror(err));
    }
    // The previous holder unlinks the file before releasing it: if that happened after our
    // open, we hold a lock nobody else will look at, so start over with the path's new file.
    struct stat at_path {
    }, ours{};
    if (::stat(path.c_str(), &at_path) == 0 && ::fstat(fd, &ours) == 0 &&
        at_path.st_dev == ours.st_dev && at_path.st_ino == ours.st_ino)
      return FileLock(path, fd);
    ::close(fd);
  }
}

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& path) {
  return lock(path, false);
}

FileLock FileLock::acquire(const std::filesystem::path& path) {
  return std::move(*lock(path, true));
}

FileLock::FileLock(FileLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  release();
}

void FileLock::release() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still locked, so no one can lock this inode and keep it
  ::close(fd_);
  fd_ = -1;
}

}  // namespace junction::pull
