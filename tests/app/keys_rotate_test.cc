// `baotong keys rotate` end to end (issue 13 item 17): the registry's personal fields and the
// passes' bodies open under the new key afterwards, and the old key is gone from the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "app/admin_command.h"
#include "common/field_cipher.h"
#include "pass/pass_store.h"
#include "registry/registry_fixture.h"
#include "registry/registry_store.h"
#include "store/sqlite/database.h"

namespace baotong::app {
namespace {

using registry::testing::CreditCode;
using registry::testing::IdNumber;

constexpr int64_t kNow = 1'790'000'000'000;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class KeysRotateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-rotate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<pass::PassStore> OpenPasses() {
    auto key = pass::SigningKey::LoadOrCreate(dir_ / "pass-signing.key");
    EXPECT_TRUE(key);
    auto opened = pass::PassStore::Open(dir_ / "registry.db", {}, std::move(*key), kNow);
    EXPECT_TRUE(opened) << opened.error().Message();
    return opened ? std::move(*opened) : nullptr;
  }

  std::filesystem::path dir_;
};

TEST_F(KeysRotateTest, FieldsAndBodiesOpenUnderTheNewKeyAndTheOldKeyIsGone) {
  {
    auto database = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(database);
    ASSERT_TRUE(registry::RegistryStore::Migrate(**database));
    registry::RegistryStore store(**database);
    std::vector<registry::Carrier> carriers = {
        {CreditCode(1), "鞍山运输", "铁东区", std::nullopt, "许可1", "2030-01-01", std::nullopt}};
    ASSERT_TRUE(store.Upsert(std::span<const registry::Carrier>(carriers), 1));
    registry::Driver driver;
    driver.id_number = IdNumber(1);
    driver.name = "张三";
    driver.phone = "13912345678";
    driver.licence_class = "A2";
    driver.licence_valid_until = "2030-01-01";
    driver.carrier_credit_code = CreditCode(1);
    std::vector<registry::Driver> drivers = {driver};
    ASSERT_TRUE(store.Upsert(std::span<const registry::Driver>(drivers), 1));
  }
  int64_t pass_id = 0;
  {
    auto passes = OpenPasses();
    ASSERT_TRUE(passes);
    pass::PassApplication application;
    application.plate = "辽C12345";
    application.plate_color = registry::PlateColor::kYellow;
    application.carrier_credit_code = CreditCode(1);
    application.driver_id_numbers = {IdNumber(1)};
    application.destination_site_codes = {"S1"};
    application.entry_from_ms = kNow + 1000;
    application.entry_until_ms = kNow + 2000;
    application.planned_exit_ms = kNow + 3000;
    auto created = passes->Create(std::move(application), kNow);
    ASSERT_TRUE(created) << created.error().Message();
    pass_id = created->id;
  }
  const std::string old_file = ReadFile(dir_ / "registry-fields.key");
  std::ostringstream out, err;
  ASSERT_EQ(RunKeysRotate(dir_.string(), "aes-256-gcm", out, err), 0) << err.str();
  const std::string new_file = ReadFile(dir_ / "registry-fields.key");
  // Every sealing key of the old file is gone (the header and the lookup key stay: the lookup
  // hashes are not rotated).
  std::istringstream old_lines(old_file);
  std::string line;
  std::getline(old_lines, line);
  int old_keys = 0;
  while (std::getline(old_lines, line)) {
    if (line.starts_with("lookup ")) {
      EXPECT_NE(new_file.find(line), std::string::npos);
      continue;
    }
    ++old_keys;
    EXPECT_EQ(new_file.find(line), std::string::npos) << line;
  }
  EXPECT_GE(old_keys, 1);
  EXPECT_NE(new_file, old_file);

  auto database = store::Database::Open(dir_ / "registry.db");
  ASSERT_TRUE(database);
  registry::RegistryStore store(**database);
  auto found = store.FindDriver(IdNumber(1));
  ASSERT_TRUE(found) << found.error().Message();
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->phone, "13912345678");
  auto passes = OpenPasses();
  ASSERT_TRUE(passes);
  auto pass = passes->Get(pass_id);
  ASSERT_TRUE(pass) << pass.error().Message();
  ASSERT_TRUE(*pass);
  EXPECT_EQ((*pass)->driver_id_numbers, std::vector<std::string>{IdNumber(1)});
  EXPECT_EQ((*pass)->driver_names, std::vector<std::string>{"张三"});
}

// Rotation while a server runs lost data: the server went on sealing under the key rotation
// dropped. The server holds the key file shared; rotation refuses until it is released.
TEST_F(KeysRotateTest, RotationRefusesWhileTheServerHoldsTheKeys) {
  {
    auto database = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(database);
    ASSERT_TRUE(registry::RegistryStore::Migrate(**database));
  }
  const auto key_file = dir_ / crypto::FieldCipher::kFileName;
  const std::string before = ReadFile(key_file);
  {
    auto serving = crypto::FieldKeysLock::Take(key_file, crypto::FieldKeysLock::Mode::kShared);
    ASSERT_TRUE(serving) << serving.error().Message();
    std::ostringstream out, err;
    EXPECT_EQ(RunKeysRotate(dir_.string(), "aes-256-gcm", out, err), 1);
    EXPECT_NE(err.str().find("baotong serve"), std::string::npos) << err.str();
    EXPECT_EQ(ReadFile(key_file), before);  // nothing changed
    // A second server may start beside the first.
    EXPECT_TRUE(crypto::FieldKeysLock::Take(key_file, crypto::FieldKeysLock::Mode::kShared));
  }
  std::ostringstream out, err;
  EXPECT_EQ(RunKeysRotate(dir_.string(), "aes-256-gcm", out, err), 0) << err.str();
  EXPECT_NE(ReadFile(key_file), before);
}

}  // namespace
}  // namespace baotong::app
