#include "api/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace baotong::api {
namespace {

constexpr int64_t kT0 = 1'790'000'000'000;

AuditEntry Entry(int i) {
  AuditEntry entry;
  entry.at_ms = kT0 + i;
  entry.actor = i % 2 == 0 ? "wang.police" : "li.health";
  entry.role = i % 2 == 0 ? "police" : "health";
  entry.department = i % 2 == 0 ? "鞍山市公安局" : "鞍山市卫生健康委员会";
  entry.client_address = "10.0.0." + std::to_string(i % 7);
  entry.action = i % 3 == 0 ? "registry.import" : "registry.read";
  entry.target = "drivers/21030219850715" + std::to_string(1000 + i);
  entry.detail = R"({"fields":["id_number","phone"]})";
  return entry;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-audit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto database = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(database);
    database_ = std::move(*database);
    auto log = AuditLog::Open(*database_);
    ASSERT_TRUE(log);
    log_ = std::move(*log);
  }
  void TearDown() override {
    log_.reset();
    database_.reset();
    std::filesystem::remove_all(dir_);
  }

  void AppendTen() {
    for (int i = 1; i <= 10; ++i) {
      auto id = log_->Append(Entry(i));
      ASSERT_TRUE(id);
      ASSERT_EQ(*id, i);
    }
  }

  // What an attacker with the file can do: the triggers are only a guard against mistakes.
  void DropTriggers() {
    ASSERT_TRUE(
        database_->Exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; "
                        "DROP TRIGGER audit_head_follows_log;"));
  }

  AuditVerifyReport Verify() {
    auto report = log_->Verify();
    EXPECT_TRUE(report);
    return report.value_or(AuditVerifyReport{});
  }

  // Rewrites entry `id`'s actor and recomputes every later hash and the head with `hash_of`:
  // what someone who can write the file does to make an edit consistent.
  template <typename HashOf>
  void RewriteConsistently(int64_t id, HashOf hash_of) {
    DropTriggers();
    auto select = database_->Prepare(
        "SELECT id, at_ms, actor, role, department, client_address, action, target, detail "
        "FROM audit_log WHERE id >= ? ORDER BY id");
    ASSERT_TRUE(select);
    select->Bind(1, id);
    auto prev = database_->Prepare("SELECT hash FROM audit_log WHERE id = ?");
    ASSERT_TRUE(prev);
    prev->Bind(1, id - 1);
    auto has_prev = prev->Step();
    ASSERT_TRUE(has_prev);
    std::string prev_hash = *has_prev ? prev->Text(0) : std::string(AuditLog::kZeroHash);
    std::vector<std::pair<int64_t, AuditEntry>> rows;
    ASSERT_TRUE(select->ForEachRow([&](const store::Statement& row) {
      AuditEntry entry{row.Int(1),  row.Text(2), row.Text(3), row.Text(4),
                       row.Text(5), row.Text(6), row.Text(7), row.Text(8)};
      rows.emplace_back(row.Int(0), entry);
    }));
    rows.front().second.actor = "nobody";
    auto update =
        database_->Prepare("UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?");
    ASSERT_TRUE(update);
    for (const auto& [row_id, entry] : rows) {
      std::string hash = hash_of(row_id, entry, prev_hash);
      ASSERT_TRUE(update->Bind(1, std::string_view(entry.actor))
                      .Bind(2, std::string_view(prev_hash))
                      .Bind(3, std::string_view(hash))
                      .Bind(4, row_id)
                      .Run());
      update->Reset();
      prev_hash = std::move(hash);
    }
    auto head = database_->Prepare("UPDATE audit_head SET last_hash = ?");
    ASSERT_TRUE(head);
    ASSERT_TRUE(head->Bind(1, std::string_view(prev_hash)).Run());
  }

  AuditAnchor Head() {
    AuditVerifyReport report = Verify();
    EXPECT_TRUE(report.ok);
    return AuditAnchor{report.entries, report.head_hash};
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, AnUntouchedChainVerifies) {
  AuditVerifyReport empty = Verify();
  EXPECT_TRUE(empty.ok);
  EXPECT_EQ(empty.entries, 0);
  EXPECT_EQ(empty.head_hash, AuditLog::kZeroHash);

  AppendTen();
  AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.entries, 10);
  EXPECT_FALSE(report.first_bad_id);
  EXPECT_TRUE(report.reason.empty());

  auto page = log_->List(0, 100);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 10u);
  EXPECT_EQ(page->items.front().id, 10);  // newest first
  EXPECT_EQ(page->items.back().id, 1);
  EXPECT_EQ(page->items.back().prev_hash, AuditLog::kZeroHash);
  EXPECT_EQ(page->items.back().entry, Entry(1));
  EXPECT_EQ(report.head_hash, page->items.front().hash);
  for (size_t i = 0; i + 1 < page->items.size(); ++i)
    EXPECT_EQ(page->items[i].prev_hash, page->items[i + 1].hash);
  EXPECT_EQ(page->items.back().hash,
            log_->EntryHash(1, Entry(1), std::string(AuditLog::kZeroHash)));
}

TEST_F(AuditLogTest, TheHashCoversEveryFieldUnambiguously) {
  const AuditEntry base = Entry(1);
  const std::string hash = log_->EntryHash(1, base, AuditLog::kZeroHash);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_NE(log_->EntryHash(2, base, AuditLog::kZeroHash), hash);
  EXPECT_NE(log_->EntryHash(1, base, std::string(63, '0') + "1"), hash);
  for (int field = 0; field < 8; ++field) {
    AuditEntry changed = base;
    switch (field) {
      case 0:
        changed.at_ms += 1;
        break;
      case 1:
        changed.actor += "x";
        break;
      case 2:
        changed.role += "x";
        break;
      case 3:
        changed.department += "x";
        break;
      case 4:
        changed.client_address += "x";
        break;
      case 5:
        changed.action += "x";
        break;
      case 6:
        changed.target += "x";
        break;
      default:
        changed.detail += " ";
        break;
    }
    EXPECT_NE(log_->EntryHash(1, changed, AuditLog::kZeroHash), hash) << field;
  }
  // Moving a character from one field to the next changes the hash (length prefixes).
  AuditEntry shifted = base;
  shifted.actor = "ab";
  shifted.role = "c";
  AuditEntry other = base;
  other.actor = "a";
  other.role = "bc";
  EXPECT_NE(log_->EntryHash(1, shifted, AuditLog::kZeroHash),
            log_->EntryHash(1, other, AuditLog::kZeroHash));
}

TEST_F(AuditLogTest, TriggersRefuseUpdatesAndDeletes) {
  AppendTen();
  EXPECT_FALSE(database_->Exec("UPDATE audit_log SET actor = 'someone' WHERE id = 3"));
  EXPECT_NE(database_->LastMessage().find("append-only"), std::string::npos);
  EXPECT_FALSE(database_->Exec("DELETE FROM audit_log WHERE id = 10"));
  EXPECT_FALSE(database_->Exec("DELETE FROM audit_log"));
  EXPECT_FALSE(database_->Exec("UPDATE audit_head SET last_id = 9, entries = 9"));
  EXPECT_FALSE(database_->Exec("DELETE FROM audit_head"));
  AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.entries, 10);
}

TEST_F(AuditLogTest, DetectsAnEditedField) {
  AppendTen();
  DropTriggers();
  ASSERT_TRUE(database_->Exec("UPDATE audit_log SET target = 'drivers/other' WHERE id = 5"));
  AuditVerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_id, 5);
  EXPECT_NE(report.reason.find("修改"), std::string::npos) << report.reason;
}

TEST_F(AuditLogTest, DetectsAnEditWhoseHashWasRecomputed) {
  AppendTen();
  DropTriggers();
  AuditEntry forged = Entry(5);
  forged.actor = "nobody";
  auto prev = database_->Prepare("SELECT prev_hash FROM audit_log WHERE id = 5");
  ASSERT_TRUE(prev && *prev->Step());
  const std::string hash = log_->EntryHash(5, forged, prev->Text(0));
  auto update = database_->Prepare("UPDATE audit_log SET actor = 'nobody', hash = ? WHERE id = 5");
  ASSERT_TRUE(update);
  ASSERT_TRUE(update->Bind(1, std::string_view(hash)).Run());
  // The next entry still names the old hash.
  EXPECT_EQ(Verify().first_bad_id, 6);
}

TEST_F(AuditLogTest, DetectsAnEntryRemovedInTheMiddle) {
  AppendTen();
  DropTriggers();
  ASSERT_TRUE(database_->Exec("DELETE FROM audit_log WHERE id = 4"));
  AuditVerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_id, 5);
  EXPECT_EQ(report.entries, 3);
}

TEST_F(AuditLogTest, DetectsEntriesRemovedAtTheTail) {
  AppendTen();
  DropTriggers();
  ASSERT_TRUE(database_->Exec("DELETE FROM audit_log WHERE id >= 9"));
  AuditVerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_id, 9);
  EXPECT_NE(report.reason.find("末尾"), std::string::npos) << report.reason;
}

TEST_F(AuditLogTest, DetectsReorderedEntries) {
  AppendTen();
  DropTriggers();
  ASSERT_TRUE(database_->Exec(
      "CREATE TEMP TABLE swapped AS SELECT * FROM audit_log WHERE id IN (3, 4);"
      "UPDATE audit_log SET (at_ms, actor, role, department, client_address, action, target, "
      "detail, prev_hash, hash) = (SELECT at_ms, actor, role, department, client_address, "
      "action, target, detail, prev_hash, hash FROM swapped WHERE swapped.id = 7 - audit_log.id) "
      "WHERE id IN (3, 4);"));
  AuditVerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_id, 3);
}

TEST_F(AuditLogTest, DetectsAForgedEntryInsertedInTheMiddle) {
  AppendTen();
  DropTriggers();
  // Make room at id 6 and insert an entry whose hashes are computed correctly.
  ASSERT_TRUE(
      database_->Exec("UPDATE audit_log SET id = id + 1000 WHERE id >= 6;"
                      "UPDATE audit_log SET id = id - 999 WHERE id >= 1000;"));
  auto prev = database_->Prepare("SELECT hash FROM audit_log WHERE id = 5");
  ASSERT_TRUE(prev && *prev->Step());
  const std::string prev_hash = prev->Text(0);
  AuditEntry forged = Entry(99);
  forged.actor = "ghost";
  auto insert = database_->Prepare(
      "INSERT INTO audit_log(id, at_ms, actor, role, department, client_address, action, "
      "target, detail, prev_hash, hash) VALUES(6, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->Bind(1, forged.at_ms)
                  .Bind(2, std::string_view(forged.actor))
                  .Bind(3, std::string_view(forged.role))
                  .Bind(4, std::string_view(forged.department))
                  .Bind(5, std::string_view(forged.client_address))
                  .Bind(6, std::string_view(forged.action))
                  .Bind(7, std::string_view(forged.target))
                  .Bind(8, std::string_view(forged.detail))
                  .Bind(9, std::string_view(prev_hash))
                  .Bind(10, std::string_view(log_->EntryHash(6, forged, prev_hash)))
                  .Run());
  AuditVerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  // The forged entry itself is well formed; the entry after it no longer fits.
  EXPECT_EQ(report.first_bad_id, 7);
}

TEST_F(AuditLogTest, DetectsAnEntryAppendedWithoutTheHead) {
  AppendTen();
  DropTriggers();
  auto last = database_->Prepare("SELECT hash FROM audit_log WHERE id = 10");
  ASSERT_TRUE(last && *last->Step());
  const std::string prev_hash = last->Text(0);
  const AuditEntry forged = Entry(11);
  auto insert = database_->Prepare(
      "INSERT INTO audit_log(id, at_ms, actor, role, department, client_address, action, "
      "target, detail, prev_hash, hash) VALUES(11, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->Bind(1, forged.at_ms)
                  .Bind(2, std::string_view(forged.actor))
                  .Bind(3, std::string_view(forged.role))
                  .Bind(4, std::string_view(forged.department))
                  .Bind(5, std::string_view(forged.client_address))
                  .Bind(6, std::string_view(forged.action))
                  .Bind(7, std::string_view(forged.target))
                  .Bind(8, std::string_view(forged.detail))
                  .Bind(9, std::string_view(prev_hash))
                  .Bind(10, std::string_view(log_->EntryHash(11, forged, prev_hash)))
                  .Run());
  EXPECT_EQ(Verify().first_bad_id, 11);
}

TEST_F(AuditLogTest, ConcurrentAppendsKeepTheChainValid) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        if (!log_->Append(Entry(t * 1000 + i)))
          ++failures;
    });
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.entries, 200);
}

TEST_F(AuditLogTest, AppendsManyAtOnceAndSurvivesReopening) {
  std::vector<AuditEntry> entries{Entry(1), Entry(2), Entry(3)};
  auto last = log_->AppendMany(entries);
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 3);
  log_.reset();
  database_.reset();
  auto database = store::Database::Open(dir_ / "registry.db");
  ASSERT_TRUE(database);
  database_ = std::move(*database);
  auto log = AuditLog::Open(*database_);
  ASSERT_TRUE(log);
  log_ = std::move(*log);
  ASSERT_TRUE(log_->Append(Entry(4)));
  AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.entries, 4);
}

TEST_F(AuditLogTest, ListsNewestFirstWithFilters) {
  AppendTen();
  auto police = log_->List(0, 100, AuditFilter{.actor = "wang.police", .action = std::nullopt});
  ASSERT_TRUE(police);
  EXPECT_EQ(police->total, 5);
  ASSERT_EQ(police->items.size(), 5u);
  EXPECT_EQ(police->items.front().id, 10);
  for (const AuditRecord& record : police->items)
    EXPECT_EQ(record.entry.actor, "wang.police");

  auto imports =
      log_->List(0, 100, AuditFilter{.actor = std::nullopt, .action = "registry.import"});
  ASSERT_TRUE(imports);
  EXPECT_EQ(imports->total, 3);  // 3, 6, 9

  auto page = log_->List(2, 3);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 10);
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[0].id, 8);
  EXPECT_EQ(page->items[2].id, 6);

  auto clamped = log_->List(-5, 1'000'000);
  ASSERT_TRUE(clamped);
  EXPECT_EQ(clamped->items.size(), 10u);
}

TEST(AuditEntryForTest, TakesTheActorFromThePrincipal) {
  Principal principal;
  principal.username = "zhao";
  principal.role = Role::kTransport;
  principal.department = "鞍山市交通运输局";
  AuditEntry entry = AuditEntryFor(principal, "10.1.2.3", "registry.read", "vehicles?q=辽C", kT0);
  EXPECT_EQ(entry.actor, "zhao");
  EXPECT_EQ(entry.role, "transport");
  EXPECT_EQ(entry.department, "鞍山市交通运输局");
  EXPECT_EQ(entry.detail, "{}");
}

// Issue 13 item 16: the chain is keyed, so a rewrite with recomputed plain hashes is found.
TEST_F(AuditLogTest, ARewriteWithRecomputedUnkeyedHashesIsDetected) {
  AppendTen();
  RewriteConsistently(5, [](int64_t id, const AuditEntry& entry, const std::string& prev) {
    return AuditLog::UnkeyedEntryHash(id, entry, prev);
  });
  AuditVerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_id, 5);
}

TEST_F(AuditLogTest, TheKeyFileIsPrivate) {
  struct stat status {};
  ASSERT_EQ(::stat((dir_ / "audit-chain.key").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
}

TEST_F(AuditLogTest, AnAnchorDetectsATruncatedChain) {
  AppendTen();
  const AuditAnchor anchor = Head();
  EXPECT_EQ(anchor.entries, 10);
  ASSERT_TRUE(log_->Verify(anchor)->ok);
  // Later entries do not disturb an older anchor.
  ASSERT_TRUE(log_->Append(Entry(11)));
  ASSERT_TRUE(log_->Verify(anchor)->ok);
  // Entries 8-11 removed and the head moved back to 7: consistent in itself.
  DropTriggers();
  ASSERT_TRUE(
      database_->Exec("DELETE FROM audit_log WHERE id >= 8;"
                      "UPDATE audit_head SET last_id = 7, entries = 7, "
                      "last_hash = (SELECT hash FROM audit_log WHERE id = 7);"));
  EXPECT_TRUE(Verify().ok);
  auto report = log_->Verify(anchor);
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->ok);
  EXPECT_NE(report->reason.find("anchor"), std::string::npos) << report->reason;
}

TEST_F(AuditLogTest, AnAnchorDetectsARewriteBySomeoneWithTheKey) {
  AppendTen();
  const AuditAnchor anchor = Head();
  RewriteConsistently(3, [this](int64_t id, const AuditEntry& entry, const std::string& prev) {
    return log_->EntryHash(id, entry, prev);
  });
  EXPECT_TRUE(Verify().ok);  // the key holder's rewrite is consistent...
  auto report = log_->Verify(anchor);
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->ok);  // ...but no longer holds the head kept elsewhere
  EXPECT_EQ(report->first_bad_id, 10);
  auto wrong = log_->Verify(AuditAnchor{4, std::string(64, 'a')});
  ASSERT_TRUE(wrong);
  EXPECT_FALSE(wrong->ok);
}

TEST_F(AuditLogTest, AKeyedChainRefusesToOpenWithoutItsKey) {
  AppendTen();
  log_.reset();
  std::filesystem::remove(dir_ / "audit-chain.key");
  auto reopened = AuditLog::Open(*database_);
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "audit-chain.key"));  // not silently replaced
}

// Issue 13 item 16 (review): whoever can write registry.db but not read the key must not get
// the chain keyed again. Dropping the keying row and rewriting every entry in plain hashes was
// accepted: the next open keyed the chain from the end and verified it.
TEST_F(AuditLogTest, AChainWhoseKeyingRowWasRemovedIsRefused) {
  AppendTen();
  log_.reset();
  RewriteConsistently(1, [](int64_t id, const AuditEntry& entry, const std::string& prev) {
    return AuditLog::UnkeyedEntryHash(id, entry, prev);
  });
  ASSERT_TRUE(database_->Exec("DROP TRIGGER audit_keying_no_delete; DELETE FROM audit_keying;"));
  auto reopened = AuditLog::Open(*database_);
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::kStorage);
  auto keying = database_->Prepare("SELECT count(*) FROM audit_keying");
  ASSERT_TRUE(keying && *keying->Step());
  EXPECT_EQ(keying->Int(0), 0);  // not written again
}

// The same with the keying table and its migration record gone too: the key file beside the
// database says the chain was keyed.
TEST_F(AuditLogTest, AChainWhoseKeyingMigrationWasRemovedIsRefused) {
  AppendTen();
  log_.reset();
  RewriteConsistently(1, [](int64_t id, const AuditEntry& entry, const std::string& prev) {
    return AuditLog::UnkeyedEntryHash(id, entry, prev);
  });
  ASSERT_TRUE(database_->Exec(
      "DROP TABLE audit_keying;"
      "DELETE FROM component_migrations WHERE component = 'audit' AND version = 2;"));
  auto reopened = AuditLog::Open(*database_);
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::kStorage);
}

// Issue 13 item 16: an audit key file that group or others may read is refused.
TEST_F(AuditLogTest, AGroupReadableKeyFileIsRefused) {
  AppendTen();
  log_.reset();
  ASSERT_EQ(::chmod((dir_ / "audit-chain.key").c_str(), 0640), 0);
  auto reopened = AuditLog::Open(*database_);
  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().detail.find("chmod 600"), std::string::npos)
      << reopened.error().detail;
}

// A chain written before keying keeps verifying, and keyed entries chain after it.
TEST(AuditLogKeying, AnUnkeyedChainIsContinuedWithKeyedEntries) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("baotong-audit-legacy-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto database = store::Database::Open(dir / "registry.db");
  ASSERT_TRUE(database);
  store::Database& db = **database;
  // The audit tables as version 1 created them, with three plain-hashed entries.
  ASSERT_TRUE(db.Exec(R"sql(
CREATE TABLE component_migrations(component TEXT NOT NULL, version INTEGER NOT NULL,
  applied_at_ms INTEGER NOT NULL, PRIMARY KEY(component, version));
INSERT INTO component_migrations VALUES('audit', 1, 0);
CREATE TABLE audit_log(id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL,
  role TEXT NOT NULL, department TEXT NOT NULL, client_address TEXT NOT NULL,
  action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE TABLE audit_head(singleton INTEGER PRIMARY KEY CHECK(singleton = 1),
  last_id INTEGER NOT NULL, last_hash TEXT NOT NULL, entries INTEGER NOT NULL);
)sql"));
  std::string prev(AuditLog::kZeroHash);
  auto insert = db.Prepare("INSERT INTO audit_log VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ASSERT_TRUE(insert);
  for (int id = 1; id <= 3; ++id) {
    const AuditEntry entry = Entry(id);
    const std::string hash = AuditLog::UnkeyedEntryHash(id, entry, prev);
    ASSERT_TRUE(insert->Bind(1, int64_t{id})
                    .Bind(2, entry.at_ms)
                    .Bind(3, entry.actor)
                    .Bind(4, entry.role)
                    .Bind(5, entry.department)
                    .Bind(6, entry.client_address)
                    .Bind(7, entry.action)
                    .Bind(8, entry.target)
                    .Bind(9, entry.detail)
                    .Bind(10, prev)
                    .Bind(11, hash)
                    .Run());
    insert->Reset();
    prev = hash;
  }
  auto head = db.Prepare("INSERT INTO audit_head VALUES(1, 3, ?, 3)");
  ASSERT_TRUE(head && head->Bind(1, prev).Run());

  auto log = AuditLog::Open(db);
  ASSERT_TRUE(log) << log.error().Message();
  EXPECT_EQ((*log)->keyed_from_id(), 4);
  ASSERT_TRUE((*log)->Append(Entry(5)));
  auto report = (*log)->Verify();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->entries, 5);  // 3 plain, the switch-over marker, 1 keyed
  EXPECT_EQ(report->keyed_from_id, 4);
  auto marker = (*log)->List(0, 1, AuditFilter{std::nullopt, "audit.chain_keyed"});
  ASSERT_TRUE(marker);
  ASSERT_EQ(marker->total, 1);
  EXPECT_EQ(marker->items[0].id, 4);

  // The plain part rewritten consistently in plain hashes: the keyed marker pins it.
  // (This hand-made version-1 table has no triggers to drop.)
  AuditEntry forged = Entry(2);
  forged.actor = "nobody";
  auto prev1 = db.Prepare("SELECT hash FROM audit_log WHERE id = 1");
  ASSERT_TRUE(prev1 && *prev1->Step());
  const std::string forged_hash = AuditLog::UnkeyedEntryHash(2, forged, prev1->Text(0));
  const std::string third_hash = AuditLog::UnkeyedEntryHash(3, Entry(3), forged_hash);
  auto rewrite = db.Prepare("UPDATE audit_log SET actor = 'nobody', hash = ?1 WHERE id = 2;");
  ASSERT_TRUE(rewrite && rewrite->Bind(1, forged_hash).Run());
  auto rewrite3 = db.Prepare("UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE id = 3");
  ASSERT_TRUE(rewrite3 && rewrite3->Bind(1, forged_hash).Bind(2, third_hash).Run());
  report = (*log)->Verify();
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_id, 4);

  // Moving the switch-over point (to check keyed entries as plain ones) is found too.
  ASSERT_TRUE(
      db.Exec("DROP TRIGGER audit_keying_no_update;"
              "UPDATE audit_keying SET keyed_from_id = 100;"));
  log->reset();
  auto reopened = AuditLog::Open(db);
  ASSERT_TRUE(reopened);
  report = (*reopened)->Verify();
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->ok);
  EXPECT_NE(report->reason.find("keyed"), std::string::npos) << report->reason;
  reopened->reset();
  database->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace baotong::api
