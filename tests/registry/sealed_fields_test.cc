// Issue 13 items 17 and 4 (store side): personal fields sealed at rest, found only whole.
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "common/field_cipher.h"
#include "registry_fixture.h"

namespace baotong::registry {
namespace {

using testing::CreditCode;
using testing::IdNumber;

constexpr std::string_view kToday = "2026-11-20";
constexpr std::string_view kPhone = "13912345678";

class SealedFieldsTest : public testing::RegistryTest {
 protected:
  void AddDriverAndRecord() {
    std::vector<Carrier> carriers = {Carrier{CreditCode(1), "企业1", "铁西区", std::nullopt,
                                             std::nullopt, "2030-01-01", std::nullopt}};
    ASSERT_TRUE(store_->Upsert(std::span<const Carrier>(carriers), 1));
    Driver driver;
    driver.id_number = IdNumber(7);
    driver.name = "张三";
    driver.phone = std::string(kPhone);
    driver.licence_class = "A2";
    driver.licence_valid_until = "2030-01-01";
    driver.qualification_cert_no = IdNumber(7);
    driver.qualification_valid_until = "2030-01-01";
    driver.carrier_credit_code = CreditCode(1);
    drivers_ = {driver};
    ASSERT_TRUE(store_->Upsert(std::span<const Driver>(drivers_), 1));
    records_.resize(1);
    records_[0].id_number = IdNumber(7);
    records_[0].name = "张三";
    records_[0].kind = "核酸检测";
    records_[0].result = "阳性";
    records_[0].tested_at = 1764000000000;
    ASSERT_TRUE(store_->Upsert(std::span<HealthRecord>(records_), 1));
  }
  // Every byte SQLite has written for the database (the file and its write-ahead log).
  std::string RawFiles() {
    std::string bytes;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in(dir_ / ("registry.db" + std::string(suffix)), std::ios::binary);
      bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return bytes;
  }
  Page List(Kind kind, std::string q) {
    ListQuery query;
    query.today = std::string(kToday);
    query.q = std::move(q);
    auto page = store_->List(kind, query);
    EXPECT_TRUE(page) << (page ? "" : page.error().Message());
    return page ? *page : Page{};
  }
  std::vector<Driver> drivers_;
  std::vector<HealthRecord> records_;
};

TEST_F(SealedFieldsTest, TheDatabaseFileHoldsNoIdNumberPhoneOrResult) {
  AddDriverAndRecord();
  const std::string raw = RawFiles();
  ASSERT_FALSE(raw.empty());
  EXPECT_EQ(raw.find(IdNumber(7)), std::string::npos);
  EXPECT_EQ(raw.find(kPhone), std::string::npos);
  EXPECT_EQ(raw.find("阳性"), std::string::npos);
  EXPECT_NE(raw.find("张三"), std::string::npos);  // names are not sealed (a known limit)
  // ... and the store still reads them back.
  auto found = store_->FindDriver(IdNumber(7));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, drivers_[0]);
  auto newest =
      store_->NewestHealthRecord(IdNumber(7), 1764000000000, std::vector<std::string>{"核酸检测"});
  ASSERT_TRUE(newest && *newest);
  EXPECT_EQ((*newest)->result, "阳性");
  auto record = store_->Get(Kind::kHealthRecords, std::to_string(records_[0].id));
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((**record)["id_number"], IdNumber(7));
}

TEST_F(SealedFieldsTest, KeyFileIsPrivateAndBesideTheDatabase) {
  struct stat status {};
  ASSERT_EQ(::stat((dir_ / "registry-fields.key").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
}

TEST_F(SealedFieldsTest, ASealedValueMovedToAnotherRowDoesNotOpen) {
  AddDriverAndRecord();
  Driver other = drivers_[0];
  other.id_number = IdNumber(8);
  other.phone = "13800000000";
  ASSERT_TRUE(store_->Upsert(std::span<const Driver>(&other, 1), 1));
  // Someone with the file but not the key copies driver 7's sealed phone onto driver 8.
  ASSERT_TRUE(database_->Exec(
      "UPDATE drivers SET phone = (SELECT phone FROM drivers WHERE phone_hash IS NOT NULL "
      "ORDER BY id_hash LIMIT 1) WHERE id_hash = (SELECT id_hash FROM drivers ORDER BY id_hash "
      "DESC LIMIT 1)"));
  auto first = store_->FindDriver(IdNumber(7));
  auto second = store_->FindDriver(IdNumber(8));
  EXPECT_NE(first.has_value(), second.has_value());  // exactly the altered row refuses
}

TEST_F(SealedFieldsTest, EqualValuesSealDifferentlyButHashAlike) {
  AddDriverAndRecord();
  Driver other = drivers_[0];
  other.id_number = IdNumber(8);  // same phone as driver 7
  ASSERT_TRUE(store_->Upsert(std::span<const Driver>(&other, 1), 1));
  auto rows = database_->Prepare("SELECT phone, phone_hash FROM drivers");
  ASSERT_TRUE(rows);
  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_TRUE(rows->ForEachRow(
      [&](const store::Statement& row) { seen.emplace_back(row.Text(0), row.Text(1)); }));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0].first, seen[1].first);
  EXPECT_EQ(seen[0].second, seen[1].second);
}

// Item 4: a substring of an ID number or phone is no longer an oracle.
TEST_F(SealedFieldsTest, IdNumbersAndPhonesMatchOnlyWhole) {
  AddDriverAndRecord();
  const std::string id = IdNumber(7);
  for (size_t length : {size_t{1}, size_t{6}, size_t{14}, size_t{17}}) {
    EXPECT_EQ(List(Kind::kDrivers, id.substr(0, length)).total, 0) << length;
    EXPECT_EQ(List(Kind::kHealthRecords, id.substr(0, length)).total, 0) << length;
  }
  EXPECT_EQ(List(Kind::kDrivers, id.substr(3, 10)).total, 0);
  EXPECT_EQ(List(Kind::kDrivers, std::string(kPhone.substr(0, 7))).total, 0);

  Page whole = List(Kind::kDrivers, id);
  EXPECT_EQ(whole.total, 1);
  EXPECT_EQ(whole.q_matched_personal, (std::vector<std::string>{"id_number"}));
  Page record = List(Kind::kHealthRecords, id);
  EXPECT_EQ(record.total, 1);
  EXPECT_EQ(record.q_matched_personal, (std::vector<std::string>{"id_number"}));
  Page phone = List(Kind::kDrivers, std::string(kPhone));
  EXPECT_EQ(phone.total, 1);
  EXPECT_EQ(phone.q_matched_personal, (std::vector<std::string>{"phone"}));
  // Names still match by substring, and that is no personal-field match.
  Page name = List(Kind::kDrivers, "张");
  EXPECT_EQ(name.total, 1);
  EXPECT_TRUE(name.q_matched_personal.empty());
  // A whole ID outside the caller's scope is not reported as matched.
  ListQuery scoped;
  scoped.today = std::string(kToday);
  scoped.q = id;
  scoped.scope.carrier_credit_code = CreditCode(2);
  auto page = store_->List(Kind::kDrivers, scoped);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 0);
  EXPECT_TRUE(page->q_matched_personal.empty());
}

TEST_F(SealedFieldsTest, RotationSealsEverythingUnderTheNewKey) {
  AddDriverAndRecord();
  const auto key_file = dir_ / "registry-fields.key";
  auto rotated = crypto::FieldCipher::AddKey(key_file, "aes-256-gcm");
  ASSERT_TRUE(rotated) << rotated.error().Message();
  EXPECT_EQ((*rotated)->current_key_id(), 2);
  {
    auto transaction = store::Transaction::Begin(*database_);
    ASSERT_TRUE(transaction);
    auto count = RegistryStore::Reseal(*database_, **rotated);
    ASSERT_TRUE(count) << count.error().Message();
    EXPECT_EQ(*count, 3 + 2);  // id, phone, certificate; id, result
    ASSERT_TRUE(transaction->Commit());
  }
  ASSERT_TRUE(crypto::FieldCipher::RetireOldKeys(key_file));
  std::ifstream in(key_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("key.1."), std::string::npos);
  EXPECT_NE(text.find("key.2.aes-256-gcm"), std::string::npos);
  // A fresh store (the rotated cipher from the cache) reads every value.
  RegistryStore fresh(*database_);
  auto found = fresh.FindDriver(IdNumber(7));
  ASSERT_TRUE(found && *found) << (found ? "" : found.error().Message());
  EXPECT_EQ((*found)->phone, std::string(kPhone));
  auto record = fresh.Get(Kind::kHealthRecords, std::to_string(records_[0].id));
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((**record)["result"], "阳性");
}

// An ID number's check character is x or X; the store keeps X, and every lookup by a whole ID
// number upper-cases it first (Get and FindDriver hashed it as given and missed).
TEST_F(SealedFieldsTest, ALowercaseCheckCharacterFindsTheDriverAndRecords) {
  int n = 1;
  while (IdNumber(n).back() != 'X')
    ++n;
  std::vector<Carrier> carriers = {Carrier{CreditCode(1), "企业1", "铁西区", std::nullopt,
                                           std::nullopt, "2030-01-01", std::nullopt}};
  ASSERT_TRUE(store_->Upsert(std::span<const Carrier>(carriers), 1));
  Driver driver;
  driver.id_number = IdNumber(n);
  driver.name = "王五";
  driver.licence_class = "A2";
  driver.licence_valid_until = "2030-01-01";
  driver.carrier_credit_code = CreditCode(1);
  std::vector<Driver> drivers = {driver};
  ASSERT_TRUE(store_->Upsert(std::span<const Driver>(drivers), 1));
  std::vector<HealthRecord> records(1);
  records[0].id_number = IdNumber(n);
  records[0].name = "王五";
  records[0].kind = "核酸检测";
  records[0].result = "阴性";
  records[0].tested_at = 1764000000000;
  ASSERT_TRUE(store_->Upsert(std::span<HealthRecord>(records), 1));

  std::string lower = IdNumber(n);
  lower.back() = 'x';
  auto got = store_->Get(Kind::kDrivers, lower);
  ASSERT_TRUE(got) << got.error().Message();
  ASSERT_TRUE(*got);
  EXPECT_EQ((**got)["id_number"], IdNumber(n));
  auto found = store_->FindDriver(lower);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, "王五");
  auto newest =
      store_->NewestHealthRecord(lower, 1764000000000, std::vector<std::string>{"核酸检测"});
  ASSERT_TRUE(newest && *newest);
  EXPECT_EQ((*newest)->result, "阴性");
  EXPECT_EQ(List(Kind::kDrivers, lower).total, 1);
}

// Issue 13 item 17: a field key file that group or others may read is refused. (A copy in a
// directory of its own: the process keeps the ciphers it has opened.)
TEST_F(SealedFieldsTest, AGroupReadableKeyFileIsRefused) {
  const auto other = dir_ / "copy";
  std::filesystem::create_directories(other);
  std::filesystem::copy_file(dir_ / "registry-fields.key", other / "registry-fields.key");
  ASSERT_EQ(::chmod((other / "registry-fields.key").c_str(), 0640), 0);
  auto database = store::Database::Open(other / "registry.db");
  ASSERT_TRUE(database);
  auto migrated = RegistryStore::Migrate(**database);
  ASSERT_FALSE(migrated);
  EXPECT_NE(migrated.error().detail.find("chmod 600"), std::string::npos)
      << migrated.error().detail;
}

TEST(FieldCipher, RefusesAlteredValuesAndOtherContexts) {
  auto cipher = crypto::FieldCipher::Ephemeral();
  std::string sealed = cipher->Seal("110101199003071234", "drivers.id_number|a");
  auto opened = cipher->Open(sealed, "drivers.id_number|a");
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "110101199003071234");
  EXPECT_FALSE(cipher->Open(sealed, "drivers.id_number|b"));
  EXPECT_FALSE(cipher->Open(sealed, "drivers.phone|a"));
  std::string altered = sealed;
  altered[20] = altered[20] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(cipher->Open(altered, "drivers.id_number|a"));
  EXPECT_NE(cipher->Seal("x", "c"), cipher->Seal("x", "c"));  // a fresh nonce each time
  EXPECT_EQ(cipher->LookupHash("phone", "1"), cipher->LookupHash("phone", "1"));
  EXPECT_NE(cipher->LookupHash("phone", "1"), cipher->LookupHash("id_number", "1"));
}

// A database written before issue 13 (plain drivers and health_records) is sealed at open.
TEST(SealedMigration, PlainTablesAreSealedInPlace) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("baotong_sealed_migration_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    auto database = store::Database::Open(dir / "registry.db");
    ASSERT_TRUE(database);
    // The version-1 tables as released, with a row each, recorded as migrated.
    ASSERT_TRUE((*database)->Exec(R"sql(
CREATE TABLE component_migrations(component TEXT NOT NULL, version INTEGER NOT NULL,
  applied_at_ms INTEGER NOT NULL, PRIMARY KEY(component, version));
INSERT INTO component_migrations VALUES('registry', 1, 0);
CREATE TABLE drivers(id_number TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, phone TEXT,
  licence_class TEXT NOT NULL, licence_valid_until TEXT, qualification_cert_no TEXT,
  qualification_category TEXT, qualification_valid_until TEXT, carrier_credit_code TEXT,
  district TEXT, has_missing INTEGER NOT NULL, min_expiry TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1, updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX drivers_carrier ON drivers(carrier_credit_code);
CREATE INDEX drivers_status ON drivers(has_missing, min_expiry, district);
CREATE TABLE health_records(id INTEGER PRIMARY KEY, id_number TEXT NOT NULL, kind TEXT NOT NULL,
  tested_at INTEGER NOT NULL, name TEXT NOT NULL, result TEXT NOT NULL, valid_until TEXT,
  version INTEGER NOT NULL DEFAULT 1, updated_at_ms INTEGER NOT NULL,
  UNIQUE(id_number, kind, tested_at));
CREATE INDEX health_records_tested_at ON health_records(tested_at, id);
)sql"));
    auto insert = (*database)->Prepare(
        "INSERT INTO drivers VALUES(?1, '李四', '13700000000', 'A2', '2030-01-01', ?1, NULL, "
        "'2030-01-01', NULL, '铁西区', 0, '2030-01-01', 3, 5)");
    ASSERT_TRUE(insert);
    ASSERT_TRUE(insert->Bind(1, IdNumber(9)).Run());
    auto record = (*database)->Prepare(
        "INSERT INTO health_records VALUES(41, ?1, '核酸检测', 1764000000000, '李四', '阳性', "
        "NULL, 1, 5)");
    ASSERT_TRUE(record);
    ASSERT_TRUE(record->Bind(1, IdNumber(9)).Run());
  }
  auto database = store::Database::Open(dir / "registry.db");
  ASSERT_TRUE(database);
  auto migrated = RegistryStore::Migrate(**database);
  ASSERT_TRUE(migrated) << migrated.error().Message() << " " << (*database)->LastMessage();
  ASSERT_TRUE(RegistryStore::Migrate(**database));  // once only
  auto raw = (*database)->Prepare(
      "SELECT count(*) FROM drivers WHERE id_number = ?1 OR phone = '13700000000' OR "
      "qualification_cert_no = ?1");
  ASSERT_TRUE(raw);
  raw->Bind(1, IdNumber(9));
  ASSERT_TRUE(raw->Step());
  EXPECT_EQ(raw->Int(0), 0);
  RegistryStore store(**database);
  auto driver = store.FindDriver(IdNumber(9));
  ASSERT_TRUE(driver && *driver);
  EXPECT_EQ((*driver)->phone, "13700000000");
  EXPECT_EQ((*driver)->qualification_cert_no, IdNumber(9));
  auto health = store.Get(Kind::kHealthRecords, "41");
  ASSERT_TRUE(health && *health);
  EXPECT_EQ((**health)["result"], "阳性");
  EXPECT_EQ((**health)["id_number"], IdNumber(9));
  database->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace baotong::registry
