// `baotong user ...` (issue 13 item 13): the password rules, one-time passwords written to 0600
// files and never printed, must-change, reset.
#include "app/admin_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/users.h"
#include "store/sqlite/database.h"

namespace baotong::app {
namespace {

class AdminCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-admin-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Add(const std::string& username, const std::string& stdin_text,
          std::optional<std::string> file = std::nullopt) {
    UserAddOptions options;
    options.data_dir = dir_.string();
    options.username = username;
    options.role = "police";
    options.one_time_password_file = std::move(file);
    std::istringstream in(stdin_text);
    out_.str("");
    err_.str("");
    return RunUserAdd(options, in, out_, err_);
  }
  nlohmann::json ListedUser(const std::string& username) {
    std::ostringstream out, err;
    EXPECT_EQ(RunUserList(dir_.string(), out, err), 0) << err.str();
    std::istringstream lines(out.str());
    for (std::string line; std::getline(lines, line);) {
      auto json = nlohmann::json::parse(line);
      if (json["username"] == username)
        return json;
    }
    return nullptr;
  }
  static std::string ReadLine(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
  }

  std::filesystem::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(AdminCommandTest, AddFollowsThePasswordRules) {
  EXPECT_EQ(Add("wang", "12345678ab\n"), 1);
  EXPECT_NE(err_.str().find("12"), std::string::npos) << err_.str();
  EXPECT_EQ(Add("wang", "iloveyou2024!\n"), 1);
  EXPECT_EQ(Add("wang", "Tiedong-7391-east\n"), 0) << err_.str();
  EXPECT_EQ(ListedUser("wang")["must_change_password"], false);
}

TEST_F(AdminCommandTest, OneTimePasswordsGoToA0600FileAndMustBeChanged) {
  const auto file = dir_ / "initial-passwords" / "gongan";
  ASSERT_EQ(Add("gongan", "", file.string()), 0) << err_.str();
  const std::string password = ReadLine(file);
  EXPECT_TRUE(api::CheckPassword(password, "gongan")) << password;
  EXPECT_EQ(out_.str().find(password), std::string::npos);  // never printed
  EXPECT_EQ(err_.str().find(password), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(file.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_EQ(ListedUser("gongan")["must_change_password"], true);

  // Each account its own password; an existing file is never overwritten.
  const auto second = dir_ / "initial-passwords" / "jiaotong";
  ASSERT_EQ(Add("jiaotong", "", second.string()), 0) << err_.str();
  EXPECT_NE(ReadLine(second), password);
  EXPECT_EQ(Add("weijian", "", second.string()), 1);
  EXPECT_FALSE(ListedUser("weijian").is_object());

  // The password signs in to a session that must change it.
  {
    auto database = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(database);
    auto users = api::UserStore::Open(**database);
    ASSERT_TRUE(users);
    auto login = (*users)->Login("gongan", password, "127.0.0.1", 1'790'000'000'000);
    ASSERT_TRUE(login);
    EXPECT_EQ(login->status, api::LoginOutcome::Status::kOk);
    EXPECT_TRUE(login->must_change_password);
  }
}

TEST_F(AdminCommandTest, ResetAndPasswdSetMustChange) {
  ASSERT_EQ(Add("wang", "Tiedong-7391-east\n"), 0);
  std::ostringstream out, err;
  const auto file = dir_ / "reset-wang";
  ASSERT_EQ(RunUserReset(dir_.string(), "wang", file.string(), out, err), 0) << err.str();
  EXPECT_TRUE(api::CheckPassword(ReadLine(file), "wang"));
  EXPECT_EQ(out.str().find(ReadLine(file)), std::string::npos);
  EXPECT_EQ(ListedUser("wang")["must_change_password"], true);

  // Without a file the operator is shown it, once.
  out.str("");
  ASSERT_EQ(RunUserReset(dir_.string(), "wang", std::nullopt, out, err), 0);
  const std::string shown = nlohmann::json::parse(out.str())["one_time_password"];
  EXPECT_TRUE(api::CheckPassword(shown, "wang"));
  EXPECT_EQ(RunUserReset(dir_.string(), "nobody", std::nullopt, out, err), 1);

  std::istringstream weak("password12345\n"), strong("Another-pass-2026\n");
  EXPECT_EQ(RunUserPasswd(dir_.string(), "wang", weak, out, err), 1);
  ASSERT_EQ(RunUserPasswd(dir_.string(), "wang", strong, out, err), 0);
  EXPECT_EQ(ListedUser("wang")["must_change_password"], false);
}

}  // namespace
}  // namespace baotong::app
