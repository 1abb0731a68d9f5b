// The pepper a gateway without key_pepper in its config uses: a new SQLite database gets a
// random one in DB.pepper (0600), read back on later starts; an older database and PostgreSQL
// keep the public default, with a warning; a configured pepper always wins.
#include "gateway/key_pepper.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;

class KeyPepper : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("junction-pepper-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.store = "sqlite://" + (dir_ / "g.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  GatewayConfig config_;
  std::string warning_;
};

TEST_F(KeyPepper, ANewSqliteDatabaseGetsARandomPepperFileReadableOnlyByItsOwner) {
  const std::string pepper = resolve_key_pepper(config_, warning_);
  EXPECT_TRUE(warning_.empty()) << warning_;
  EXPECT_EQ(pepper.size(), 64u);
  EXPECT_NE(pepper, "junction-gateway");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "g.db.pepper").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The next start (the database now exists) reads the same pepper.
  std::ofstream(dir_ / "g.db") << "x";
  EXPECT_EQ(resolve_key_pepper(config_, warning_), pepper);
  // Another database gets another pepper.
  config_.store = "sqlite://" + (dir_ / "h.db").string();
  EXPECT_NE(resolve_key_pepper(config_, warning_), pepper);
}

TEST_F(KeyPepper, ADatabaseOlderThanPepperFilesKeepsTheDefaultAndWarns) {
  std::ofstream(dir_ / "g.db") << "x";
  EXPECT_EQ(resolve_key_pepper(config_, warning_), "junction-gateway");
  EXPECT_NE(warning_.find("key_pepper"), std::string::npos) << warning_;
  EXPECT_FALSE(fs::exists(dir_ / "g.db.pepper"));
}

TEST_F(KeyPepper, AConfiguredPepperWinsAndPostgresWithoutOneWarns) {
  config_.key_pepper = "configured";
  config_.key_pepper_configured = true;
  EXPECT_EQ(resolve_key_pepper(config_, warning_), "configured");
  EXPECT_FALSE(fs::exists(dir_ / "g.db.pepper"));
  GatewayConfig pg;
  pg.store = "postgres://u@127.0.0.1/db";
  EXPECT_EQ(resolve_key_pepper(pg, warning_), "junction-gateway");
  EXPECT_NE(warning_.find("key_pepper"), std::string::npos);
}

TEST_F(KeyPepper, APepperFileOthersCanReadIsRefused) {
  std::ofstream(dir_ / "g.db.pepper") << "abc\n";
  fs::permissions(dir_ / "g.db.pepper", fs::perms::owner_read | fs::perms::owner_write |
                                            fs::perms::group_read | fs::perms::others_read);
  EXPECT_THROW(resolve_key_pepper(config_, warning_), Error);
}

}  // namespace
}  // namespace junction::gateway
