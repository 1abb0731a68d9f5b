// FileLock: real flock(2) locks on files in a temp folder, contended from threads of this
// process (flock locks belong to the open file, so two opens conflict even in one process).
#include "pull/file_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

namespace junction::pull {
namespace {

namespace fs = std::filesystem;

fs::path temp_lock(const char* name) {
  const fs::path dir =
      fs::temp_directory_path() / ("junction-lock-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

TEST(FileLock, SecondHolderIsRefusedUntilTheFirstReleases) {
  const fs::path path = temp_lock("a.lock");
  {
    std::optional<FileLock> first = FileLock::try_acquire(path);
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(FileLock::try_acquire(path).has_value());
  }
  EXPECT_FALSE(fs::exists(path));  // removed on release
  EXPECT_TRUE(FileLock::try_acquire(path).has_value());
  fs::remove_all(path.parent_path());
}

TEST(FileLock, AcquireWaitsForTheHolder) {
  const fs::path path = temp_lock("b.lock");
  std::optional<FileLock> held = FileLock::try_acquire(path);
  ASSERT_TRUE(held.has_value());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    FileLock mine = FileLock::acquire(path);
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(got.load());
  held.reset();
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_FALSE(fs::exists(path));
  fs::remove_all(path.parent_path());
}

}  // namespace
}  // namespace junction::pull
