// Key files (common/secret_file): created whole or not at all.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "common/secret_file.h"

namespace baotong::crypto {
namespace {

class KeyFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-keyfiles-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// A process that dies while rendering or writing the key left an empty key file behind, which
// every later start refused as corrupt.
TEST_F(KeyFilesTest, ACreationThatDiesHalfwayLeavesNoKeyFile) {
  const auto file = dir_ / "registry-fields.key";
  EXPECT_THROW(CreateSecretFile(file, []() -> std::string { throw std::runtime_error("died"); }),
               std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(file));
  auto created = CreateSecretFile(file, [] { return std::string("header\nkey AAAA\n"); });
  ASSERT_TRUE(created) << created.error().Message();
  EXPECT_TRUE(*created);
  std::ifstream in(file);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
            "header\nkey AAAA\n");
  struct stat status {};
  ASSERT_EQ(::stat(file.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
  // Nothing but the key file is left in the directory (no temporary).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(KeyFilesTest, AnExistingKeyFileIsKeptAndNotRendered) {
  const auto file = dir_ / "audit-chain.key";
  ASSERT_TRUE(CreateSecretFile(file, [] { return std::string("first\n"); }));
  bool rendered = false;
  auto again = CreateSecretFile(file, [&] {
    rendered = true;
    return std::string("second\n");
  });
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_FALSE(rendered);
  std::ifstream in(file);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
            "first\n");
}

}  // namespace
}  // namespace baotong::crypto
