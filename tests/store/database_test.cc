#include "store/sqlite/database.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace baotong::store {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-db-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

constexpr const char* kMigrations[] = {
    "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "ALTER TABLE items ADD COLUMN note TEXT",
};

TEST_F(DatabaseTest, MigratesOnceAndRefusesANewerSchema) {
  {
    auto db = Database::Open(dir_ / "a.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Migrate("test", kMigrations));
    ASSERT_TRUE((*db)->Migrate("test", kMigrations));  // idempotent
    ASSERT_TRUE((*db)->Exec("INSERT INTO items(name, note) VALUES('a', 'n')"));
  }
  auto db = Database::Open(dir_ / "a.db");
  ASSERT_TRUE(db);
  // A build that knows only the first migration must not open a newer database.
  auto older = (*db)->Migrate("test", std::span(kMigrations, 1));
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().code, ErrorCode::kUnsupported);
  // Another component's versions are its own.
  constexpr const char* kOther[] = {"CREATE TABLE others(id INTEGER PRIMARY KEY)"};
  EXPECT_TRUE((*db)->Migrate("other", kOther));
}

TEST_F(DatabaseTest, UpgradeOnceRunsItsStepOnceAndAllOrNothing) {
  auto db = Database::Open(dir_ / "u.db");
  ASSERT_TRUE(db);
  Database& database = **db;
  // A failing step leaves nothing behind, its own writes included.
  auto failed = database.UpgradeOnce("data", 1, [&](int64_t) -> Result<void> {
    if (auto ok = database.Exec("CREATE TABLE half(id INTEGER)"); !ok)
      return ok;
    return Fail(ErrorCode::kStorage, "step failed");
  });
  ASSERT_FALSE(failed);
  auto half = database.Prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'");
  ASSERT_TRUE(half && *half->Step());
  EXPECT_EQ(half->Int(0), 0);
  std::vector<int64_t> froms;
  const auto step = [&](int64_t from) -> Result<void> {
    froms.push_back(from);
    return {};
  };
  auto ran = database.UpgradeOnce("data", 1, step);
  ASSERT_TRUE(ran);
  EXPECT_TRUE(*ran);
  ran = database.UpgradeOnce("data", 1, step);
  ASSERT_TRUE(ran);
  EXPECT_FALSE(*ran);  // already there
  ran = database.UpgradeOnce("data", 3, step);
  ASSERT_TRUE(ran);
  EXPECT_TRUE(*ran);
  EXPECT_EQ(froms, (std::vector<int64_t>{0, 1}));
  auto older = database.UpgradeOnce("data", 2, step);
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().code, ErrorCode::kUnsupported);
}

TEST_F(DatabaseTest, BindsReadsAndReportsConstraintViolationsAsConflicts) {
  auto db = Database::Open(dir_ / "b.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Migrate("test", kMigrations));
  auto insert = (*db)->Prepare("INSERT INTO items(name, note) VALUES(?, ?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->Bind(1, "鞍山").Bind(2, std::optional<std::string>()).Run());
  insert->Reset();
  auto duplicate = insert->Bind(1, "鞍山").Run();
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  EXPECT_NE((*db)->LastMessage().find("UNIQUE"), std::string::npos);

  auto select = (*db)->Prepare("SELECT name, note FROM items");
  ASSERT_TRUE(select);
  auto row = select->Step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->Text(0), "鞍山");
  EXPECT_FALSE(select->OptionalText(1).has_value());
  EXPECT_EQ(select->ColumnName(0), "name");
  row = select->Step();
  ASSERT_TRUE(row);
  EXPECT_FALSE(*row);
}

TEST_F(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  auto db = Database::Open(dir_ / "c.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Migrate("test", kMigrations));
  {
    auto transaction = Transaction::Begin(**db);
    ASSERT_TRUE(transaction);
    ASSERT_TRUE((*db)->Exec("INSERT INTO items(name) VALUES('lost')"));
  }
  {
    auto transaction = Transaction::Begin(**db);
    ASSERT_TRUE(transaction);
    ASSERT_TRUE((*db)->Exec("INSERT INTO items(name) VALUES('kept')"));
    ASSERT_TRUE(transaction->Commit());
  }
  auto count = (*db)->Prepare("SELECT group_concat(name) FROM items");
  ASSERT_TRUE(count);
  ASSERT_TRUE(count->Step());
  EXPECT_EQ(count->Text(0), "kept");
}

TEST_F(DatabaseTest, ForEachRowVisitsEveryRowAndStopsAtTheFirstError) {
  auto db = Database::Open(dir_ / "e.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Migrate("test", kMigrations));
  ASSERT_TRUE((*db)->Exec("INSERT INTO items(name) VALUES('a'), ('b'), ('c')"));
  auto select = (*db)->Prepare("SELECT name FROM items ORDER BY name");
  ASSERT_TRUE(select);
  std::string seen;
  ASSERT_TRUE(select->ForEachRow([&](const Statement& row) { seen += row.Text(0); }));
  EXPECT_EQ(seen, "abc");
  select->Reset();
  seen.clear();
  auto stopped = select->ForEachRow([&](const Statement& row) -> Result<void> {
    seen += row.Text(0);
    if (row.Text(0) == "b")
      return Fail(ErrorCode::kBadValue, "stop at b");
    return {};
  });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kBadValue);
  EXPECT_EQ(seen, "ab");
}

TEST_F(DatabaseTest, ReportsAMalformedStatement) {
  auto db = Database::Open(dir_ / "d.db");
  ASSERT_TRUE(db);
  auto bad = (*db)->Prepare("SELEKT 1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kStorage);
  EXPECT_FALSE((*db)->LastMessage().empty());
}

}  // namespace
}  // namespace baotong::store
