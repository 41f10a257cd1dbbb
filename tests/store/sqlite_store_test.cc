#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <thread>

namespace baotong::store {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'700'000'000'000;

std::string Phone(int i) {
  std::string digits = std::to_string(13900000000LL + i);
  return std::string(12 - digits.size(), '0') + digits;
}

model::Position MakePosition(int terminal, uint16_t serial, int64_t time) {
  model::Position p;
  p.terminal = Phone(terminal);
  p.serial = serial;
  p.device_time_ms = time;
  p.receive_time_ms = time + 700 + serial % 5;
  p.alarm = 0x1u << (serial % 32);
  p.status = 0x0c0003;
  p.lat_e6 = 41'108'500 + serial * 13 - terminal;
  p.lon_e6 = -122'994'300 - serial * 7;
  p.altitude_m = static_cast<uint16_t>(serial % 300);
  p.speed_dkmh = static_cast<uint16_t>(serial % 1000);
  p.direction = static_cast<uint16_t>(serial % 360);
  p.extras = {
      0x01, 0x04, 0x00, 0x00, static_cast<uint8_t>(serial >> 8), static_cast<uint8_t>(serial),
      0x30, 0x01, 0x1b};
  return p;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("baotong_store_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  SqliteStore& Open(SqliteOptions options = {}) {
    store_.reset();
    auto store = SqliteStore::Open(dir_, options);
    EXPECT_TRUE(store) << (store ? "" : store.error().Message());
    store_ = std::move(*store);
    return *store_;
  }

  std::vector<model::Position> TrackAll(const std::string& terminal) {
    auto track = store_->Track(terminal, std::numeric_limits<int64_t>::min(),
                               std::numeric_limits<int64_t>::max(), 1'000'000);
    EXPECT_TRUE(track);
    return track ? *track : std::vector<model::Position>{};
  }

  fs::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, RoundTripsEveryFieldFromLogChunksAndAfterReopen) {
  SqliteStore& store = Open();
  std::vector<model::Position> batch;
  for (uint16_t i = 0; i < 20; ++i) {
    batch.push_back(MakePosition(1, i, kT0 + i * 10'000));
  }
  batch[3].extras.clear();
  batch[4].device_time_ms = 0;  // sent no time
  batch[5].alarm = 0xffffffff;
  batch[5].lat_e6 = std::numeric_limits<int32_t>::min();
  batch[5].altitude_m = 65535;
  batch[6].extras.assign(1000, 0);
  std::vector<model::Position> expected = batch;
  std::sort(expected.begin(), expected.end(),
            [](const auto& a, const auto& b) { return a.device_time_ms < b.device_time_ms; });

  ASSERT_EQ(store.Append(batch), 20u);
  EXPECT_EQ(store.TailSize(), 20u);
  EXPECT_EQ(TrackAll(Phone(1)), expected);
  ASSERT_TRUE(store.Compact());
  EXPECT_EQ(store.TailSize(), 0u);
  EXPECT_EQ(TrackAll(Phone(1)), expected);
  Open();
  EXPECT_EQ(TrackAll(Phone(1)), expected);
  EXPECT_EQ(*store_->Count(), 20u);
  EXPECT_TRUE(TrackAll(Phone(2)).empty());
}

TEST_F(SqliteStoreTest, UncompactedLogSurvivesReopen) {
  Open();
  std::vector<model::Position> batch = {MakePosition(1, 1, kT0), MakePosition(2, 1, kT0)};
  ASSERT_EQ(store_->Append(batch), 2u);
  Open();
  EXPECT_EQ(store_->TailSize(), 2u);
  EXPECT_EQ(*store_->Count(), 2u);
  EXPECT_EQ(TrackAll(Phone(2)), std::vector<model::Position>{batch[1]});
}

TEST_F(SqliteStoreTest, SkipsDuplicatesWithinAndAcrossBatches) {
  SqliteStore& store = Open();
  const auto a = MakePosition(1, 7, kT0);
  const auto b = MakePosition(1, 8, kT0 + 1000);
  auto same_key = a;
  same_key.lat_e6 += 1;  // a resend is identified by its key, not its content
  EXPECT_EQ(*store.Append(std::vector{a, b, same_key, a}), 2u);
  EXPECT_EQ(*store.Append(std::vector{b, a}), 0u);
  // Same serial, other time, and same time, other serial, are different positions.
  EXPECT_EQ(*store.Append(std::vector{MakePosition(1, 7, kT0 + 1), MakePosition(1, 9, kT0)}), 2u);
  // Another terminal with the same key.
  EXPECT_EQ(*store.Append(std::vector{MakePosition(2, 7, kT0)}), 1u);
  EXPECT_EQ(*store.Count(), 5u);
  EXPECT_EQ(TrackAll(Phone(1)).size(), 4u);
}

TEST_F(SqliteStoreTest, SkipsResendsAfterReopenFromLogAndChunks) {
  Open();
  std::vector<model::Position> compacted, logged;
  for (uint16_t i = 0; i < 50; ++i) {
    compacted.push_back(MakePosition(1, i, kT0 + i * 1000));
    logged.push_back(MakePosition(1, static_cast<uint16_t>(100 + i), kT0 + 100'000 + i * 1000));
  }
  ASSERT_EQ(store_->Append(compacted), 50u);
  ASSERT_TRUE(store_->Compact());
  ASSERT_EQ(store_->Append(logged), 50u);
  Open();
  EXPECT_EQ(*store_->Append(compacted), 0u);
  EXPECT_EQ(*store_->Append(logged), 0u);
  EXPECT_EQ(*store_->Count(), 100u);
  EXPECT_EQ(TrackAll(Phone(1)).size(), 100u);
}

TEST_F(SqliteStoreTest, SkipsResendsOlderThanTheInMemoryWindow) {
  SqliteOptions options;
  options.dedup_window = 4;
  Open(options);
  std::vector<model::Position> positions;
  for (uint16_t i = 0; i < 40; ++i)
    positions.push_back(MakePosition(1, i, kT0 + i * 1000));
  ASSERT_EQ(store_->Append(std::span(positions).first(20)), 20u);
  ASSERT_TRUE(store_->Compact());
  ASSERT_EQ(store_->Append(std::span(positions).subspan(20)), 20u);
  // Everything again, in and out of order, before and after a reopen: nothing is new.
  EXPECT_EQ(*store_->Append(positions), 0u);
  std::vector<model::Position> reversed(positions.rbegin(), positions.rend());
  EXPECT_EQ(*store_->Append(reversed), 0u);
  Open(options);
  EXPECT_EQ(*store_->Append(positions), 0u);
  EXPECT_EQ(*store_->Count(), 40u);
  // A genuinely new report older than the window is still stored.
  EXPECT_EQ(*store_->Append(std::vector{MakePosition(1, 999, kT0 + 500)}), 1u);
}

TEST_F(SqliteStoreTest, TracksAcrossChunksAndTail) {
  SqliteOptions options;
  options.compact_every_rows = 100;
  SqliteStore& store = Open(options);
  std::vector<model::Position> all;
  // Three terminals; 10 minutes between reports so chunks split at the hour boundary.
  for (int round = 0; round < 100; round += 5) {
    std::vector<model::Position> batch;
    for (int r = round; r < round + 5; ++r) {
      for (int t = 1; t <= 3; ++t) {
        batch.push_back(MakePosition(t, static_cast<uint16_t>(r), kT0 + r * 600'000));
      }
    }
    ASSERT_EQ(store.Append(batch), batch.size());
    for (const auto& p : batch) {
      if (p.terminal == Phone(2)) {
        all.push_back(p);
      }
    }
  }
  EXPECT_GT(store.TailSize(), 0u);
  EXPECT_LT(store.TailSize(), 100u);
  EXPECT_EQ(TrackAll(Phone(2)), all);

  // Every sub-range and limit matches a filter over everything.
  for (int from = -1; from < 101; from += 7) {
    for (int to = from + 1; to < 102; to += 13) {
      const int64_t from_ms = kT0 + from * 600'000 + 1;
      const int64_t to_ms = kT0 + to * 600'000 + 1;
      for (size_t limit : {size_t{1}, size_t{5}, size_t{1000}}) {
        std::vector<model::Position> expected;
        for (const auto& p : all) {
          if (p.device_time_ms >= from_ms && p.device_time_ms < to_ms && expected.size() < limit) {
            expected.push_back(p);
          }
        }
        auto track = store.Track(Phone(2), from_ms, to_ms, limit);
        ASSERT_TRUE(track);
        EXPECT_EQ(*track, expected) << from << ".." << to << " limit " << limit;
      }
    }
  }
  EXPECT_TRUE(store.Track(Phone(2), kT0 + 5, kT0 + 5, 10)->empty());
  EXPECT_TRUE(store.Track(Phone(2), kT0, kT0 + 1'000'000, 0)->empty());
  EXPECT_TRUE(store.Track("999", kT0, kT0 + 1'000'000, 10)->empty());
}

TEST_F(SqliteStoreTest, TrackOrdersLateArrivalsByDeviceTime) {
  SqliteOptions options;
  options.compact_every_rows = 4;
  SqliteStore& store = Open(options);
  ASSERT_EQ(store.Append(std::vector{MakePosition(1, 1, kT0 + 5000), MakePosition(1, 2, kT0 + 9000),
                                     MakePosition(1, 3, kT0 + 7000), MakePosition(1, 4, kT0)}),
            4u);                                                             // compacted
  ASSERT_EQ(store.Append(std::vector{MakePosition(1, 5, kT0 + 6000)}), 1u);  // in the log
  auto track = store.Track(Phone(1), kT0, kT0 + 10'000, 3);
  ASSERT_TRUE(track);
  ASSERT_EQ(track->size(), 3u);
  EXPECT_EQ((*track)[0].serial, 4);
  EXPECT_EQ((*track)[1].serial, 1);
  EXPECT_EQ((*track)[2].serial, 5);
}

TEST_F(SqliteStoreTest, ContainsSeesLogAndChunks) {
  SqliteStore& store = Open();
  ASSERT_EQ(store.Append(std::vector{MakePosition(1, 1, kT0)}), 1u);
  ASSERT_TRUE(store.Compact());
  ASSERT_EQ(store.Append(std::vector{MakePosition(1, 2, kT0 + 1000)}), 1u);
  EXPECT_TRUE(*store.Contains({Phone(1), 1, kT0}));
  EXPECT_TRUE(*store.Contains({Phone(1), 2, kT0 + 1000}));
  EXPECT_FALSE(*store.Contains({Phone(1), 2, kT0}));
  EXPECT_FALSE(*store.Contains({Phone(1), 1, kT0 + 1}));
  EXPECT_FALSE(*store.Contains({Phone(2), 1, kT0}));
}

TEST_F(SqliteStoreTest, LatestIsNewestByDeviceTimeOrderedByTerminal) {
  SqliteStore& store = Open();
  EXPECT_EQ(*store.LatestCount(), 0u);
  ASSERT_TRUE(store.Append(std::vector{MakePosition(3, 1, kT0 + 5000), MakePosition(1, 1, kT0),
                                       MakePosition(2, 1, kT0)}));
  ASSERT_TRUE(store.Compact());
  // An older report arriving late does not replace the latest.
  ASSERT_TRUE(
      store.Append(std::vector{MakePosition(3, 2, kT0 + 1000), MakePosition(1, 2, kT0 + 1)}));
  auto check = [&](SqliteStore& s) {
    EXPECT_EQ(*s.LatestCount(), 3u);
    auto latest = s.Latest(0, 10);
    ASSERT_TRUE(latest);
    ASSERT_EQ(latest->size(), 3u);
    EXPECT_EQ((*latest)[0], MakePosition(1, 2, kT0 + 1));
    EXPECT_EQ((*latest)[1], MakePosition(2, 1, kT0));
    EXPECT_EQ((*latest)[2], MakePosition(3, 1, kT0 + 5000));
    auto page = s.Latest(1, 1);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->size(), 1u);
    EXPECT_EQ((*page)[0].terminal, Phone(2));
    EXPECT_TRUE(s.Latest(3, 10)->empty());
  };
  check(store);
  Open();  // latest from the table and the log
  check(*store_);
  ASSERT_TRUE(store_->Compact());
  Open();  // latest from the table only
  check(*store_);
}

TEST_F(SqliteStoreTest, MigrationsRunOnceAndRefuseNewerSchema) {
  Open();
  EXPECT_EQ(store_->SchemaVersion(), 5);
  ASSERT_TRUE(store_->Append(std::vector{MakePosition(1, 1, kT0)}));
  Open();
  EXPECT_EQ(store_->SchemaVersion(), 5);
  EXPECT_EQ(*store_->Count(), 1u);
  store_.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "baotong.db").c_str(), &db), SQLITE_OK);
  auto scalar = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    std::string value = text == nullptr ? "" : text;
    sqlite3_finalize(stmt);
    return value;
  };
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "5");
  EXPECT_EQ(scalar("PRAGMA user_version"), "5");
  EXPECT_EQ(scalar("PRAGMA journal_mode"), "wal");
  ASSERT_EQ(
      sqlite3_exec(db, "INSERT INTO schema_migrations VALUES(6, 0)", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto newer = SqliteStore::Open(dir_);
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, ErrorCode::kUnsupported);
}

TEST_F(SqliteStoreTest, TerminalRecordsUpsertAndFind) {
  SqliteStore& store = Open();
  EXPECT_EQ(*store.Find("013912345678"), std::nullopt);
  TerminalRecord record;
  record.terminal = "013912345678";
  record.auth_code = "auth-1";
  record.province_id = 44;
  record.city_id = 300;
  record.maker_id = "70111";
  record.terminal_model = "BSJ-GF-06";
  record.terminal_id = "1234567";
  record.plate_color = 2;
  record.plate = "粤B12345";
  record.registered_at_ms = kT0;
  ASSERT_TRUE(store.Upsert(record));
  EXPECT_EQ(*store.Find(record.terminal), record);
  record.auth_code = "auth-2";
  record.plate.clear();
  ASSERT_TRUE(store.Upsert(record));
  EXPECT_EQ(*store.Find(record.terminal), record);
  Open();
  EXPECT_EQ(*store_->Find(record.terminal), record);
  EXPECT_EQ(*store_->Find("1"), std::nullopt);
  EXPECT_FALSE(store_->Upsert(TerminalRecord{}));

  std::vector<TerminalRecord> many(3, record);
  for (size_t i = 0; i < many.size(); ++i) {
    many[i].terminal = "01391234560" + std::to_string(i);
    many[i].city_id = static_cast<uint16_t>(i);
  }
  ASSERT_TRUE(store_->UpsertMany(many));
  for (const auto& r : many) {
    EXPECT_EQ(*store_->Find(r.terminal), r);
  }
  many.push_back(TerminalRecord{});  // one bad record stores none
  many[0].plate = "changed";
  EXPECT_FALSE(store_->UpsertMany(many));
  EXPECT_EQ(store_->Find(many[0].terminal)->value().plate, record.plate);
}

TEST_F(SqliteStoreTest, ReadersRunWhileTheWriterAppends) {
  SqliteOptions options;
  options.compact_every_rows = 2000;
  options.compact_slice_rows = 300;  // readers also run while a sealed log is compacted
  options.reader_connections = 2;
  SqliteStore& store = Open(options);
  constexpr int kTerminals = 50;
  constexpr int kRounds = 100;
  std::atomic<bool> done = false;
  std::atomic<int> failures = 0;
  std::thread writer([&] {
    for (int round = 0; round < kRounds; ++round) {
      std::vector<model::Position> batch;
      for (int t = 0; t < kTerminals; ++t) {
        batch.push_back(MakePosition(t, static_cast<uint16_t>(round), kT0 + round * 1000));
      }
      if (!store.Append(batch)) {
        ++failures;
      }
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      uint64_t last_count = 0;
      size_t last_track = 0;
      while (!done) {
        const uint64_t count = *store.Count();
        auto track = store.Track(Phone(r), kT0, kT0 + kRounds * 1000, 100000);
        auto latest = store.Latest(0, 1000);
        if (count < last_count || !track || !latest || track->size() < last_track) {
          ++failures;
          break;
        }
        // A track has no gaps and no repeats: exactly the rounds written so far.
        for (size_t i = 0; i < track->size(); ++i) {
          if ((*track)[i].serial != i) {
            ++failures;
            break;
          }
        }
        last_count = count;
        last_track = track->size();
        if (!track->empty() && !*store.Contains(KeyOf(track->back()))) {
          ++failures;
        }
      }
    });
  }
  writer.join();
  for (auto& reader : readers) {
    reader.join();
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(*store.Count(), uint64_t{kTerminals} * kRounds);
  EXPECT_EQ(*store.LatestCount(), size_t{kTerminals});
  for (int t = 0; t < kTerminals; t += 7) {
    EXPECT_EQ(TrackAll(Phone(t)).size(), size_t{kRounds});
  }
}

// A database written by a build at schema version 2 (one log table, everything compacted at
// once): the frozen schema of migrations 1-2, with positions in its log.
TEST_F(SqliteStoreTest, OpensAndMigratesADatabaseAtSchemaVersion2) {
  std::vector<model::Position> compacted, logged;
  for (uint16_t i = 0; i < 30; ++i) {
    compacted.push_back(MakePosition(i % 3, i, kT0 + i * 1000));
    logged.push_back(MakePosition(i % 3, static_cast<uint16_t>(100 + i), kT0 + 100'000 + i * 1000));
  }
  fs::create_directories(dir_);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "baotong.db").c_str(), &db), SQLITE_OK);
  const char* v2 = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL);
CREATE TABLE terminals(id INTEGER PRIMARY KEY, phone TEXT NOT NULL UNIQUE);
CREATE TABLE position_log(
  terminal_id INTEGER NOT NULL, serial INTEGER NOT NULL, device_time_ms INTEGER NOT NULL,
  receive_time_ms INTEGER NOT NULL, alarm INTEGER NOT NULL, status INTEGER NOT NULL,
  lat_e6 INTEGER NOT NULL, lon_e6 INTEGER NOT NULL, altitude_m INTEGER NOT NULL,
  speed_dkmh INTEGER NOT NULL, direction INTEGER NOT NULL, extras BLOB NOT NULL);
CREATE TABLE position_chunks(
  id INTEGER PRIMARY KEY, terminal_id INTEGER NOT NULL, first_time INTEGER NOT NULL,
  last_time INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX position_chunks_by_terminal_time ON position_chunks(terminal_id, first_time);
CREATE TABLE latest_positions(
  terminal_id INTEGER PRIMARY KEY, device_time_ms INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE store_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO store_meta VALUES('compacted_positions', 0);
CREATE TABLE terminal_registrations(
  terminal TEXT PRIMARY KEY, auth_code TEXT NOT NULL, province_id INTEGER NOT NULL,
  city_id INTEGER NOT NULL, maker_id TEXT NOT NULL, terminal_model TEXT NOT NULL,
  terminal_id TEXT NOT NULL, plate_color INTEGER NOT NULL, plate TEXT NOT NULL,
  registered_at_ms INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO schema_migrations VALUES(1, 0), (2, 0);
PRAGMA user_version=2;
)sql";
  ASSERT_EQ(sqlite3_exec(db, v2, nullptr, nullptr, nullptr), SQLITE_OK);
  for (int t = 0; t < 3; ++t) {
    const std::string sql =
        "INSERT INTO terminals VALUES(" + std::to_string(t + 1) + ", '" + Phone(t) + "')";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  }
  for (const auto& p : logged) {
    const int t = p.terminal == Phone(0) ? 1 : p.terminal == Phone(1) ? 2 : 3;
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO position_log VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                 "?9, ?10, ?11, ?12)",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    const int64_t values[] = {
        t,        p.serial, p.device_time_ms, p.receive_time_ms, p.alarm,    p.status,
        p.lat_e6, p.lon_e6, p.altitude_m,     p.speed_dkmh,      p.direction};
    for (int i = 0; i < 11; ++i) {
      sqlite3_bind_int64(stmt, i + 1, values[i]);
    }
    sqlite3_bind_blob(stmt, 12, p.extras.data(), static_cast<int>(p.extras.size()),
                      SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);

  Open();
  EXPECT_EQ(store_->SchemaVersion(), 5);
  EXPECT_EQ(*store_->Count(), 30u);
  EXPECT_EQ(store_->TailSize(), 30u);
  EXPECT_EQ(*store_->Append(logged), 0u);
  ASSERT_EQ(store_->Append(compacted), 30u);
  ASSERT_TRUE(store_->Compact());
  Open();
  EXPECT_EQ(*store_->Count(), 60u);
  EXPECT_EQ(store_->TailSize(), 0u);
  EXPECT_EQ(TrackAll(Phone(1)).size(), 20u);
  EXPECT_EQ(*store_->Append(logged), 0u);
  EXPECT_EQ(*store_->Append(compacted), 0u);
}

// Incremental compaction with tiny thresholds, the store closed and reopened after every
// Append (each Append is one transaction, so this is what a kill between two transactions
// leaves): nothing is lost or duplicated at any stage, and reads see sealed, active and chunks.
class IncrementalCompactionTest : public SqliteStoreTest,
                                  public ::testing::WithParamInterface<bool> {};

TEST_P(IncrementalCompactionTest, EveryStageKeepsPositionsExactlyOnce) {
  const bool reopen = GetParam();
  SqliteOptions options;
  options.compact_every_rows = 40;
  options.compact_slice_rows = 7;  // less than a terminal's share: slices split terminals
  options.compact_every_ms = 0;
  options.dedup_window = 4;  // resends beyond it are looked up in logs and chunks
  Open(options);
  constexpr int kTerminals = 5;
  std::map<std::string, std::vector<model::Position>> expected;
  std::vector<model::Position> all;
  bool saw_sealed = false, saw_sealed_and_chunks = false;
  uint32_t seed = 12345;
  auto next = [&] {
    seed = seed * 1103515245 + 12345;
    return (seed >> 8) % 1000;
  };
  for (int round = 0; round < 60; ++round) {
    std::vector<model::Position> batch;
    const int size = 1 + static_cast<int>(next() % 12);
    for (int i = 0; i < size; ++i) {
      const int t = static_cast<int>(next() % kTerminals);
      const auto serial = static_cast<uint16_t>(round * 16 + i);
      // Mostly in order, sometimes blind-area data from long ago.
      const int64_t time = next() % 5 == 0 ? kT0 + static_cast<int64_t>(next()) * 1000
                                           : kT0 + 2'000'000 + round * 60'000 + i;
      batch.push_back(MakePosition(t, serial, time));
    }
    // Resends of earlier positions, wherever they are now.
    for (int i = 0; i < 3 && !all.empty(); ++i) {
      batch.push_back(all[next() % all.size()]);
    }
    const size_t fresh = static_cast<size_t>(size);
    auto appended = store_->Append(batch);
    ASSERT_TRUE(appended);
    ASSERT_EQ(*appended, fresh) << "round " << round;
    for (int i = 0; i < size; ++i) {
      expected[batch[i].terminal].push_back(batch[i]);
      all.push_back(batch[i]);
    }
    if (reopen) {
      Open(options);
    }
    const size_t sealed = store_->SealedSize();
    saw_sealed |= sealed > 0;
    saw_sealed_and_chunks |= sealed > 0 && store_->TailSize() < all.size();
    // Bounded: one sealed log at most, which finishes about when the active one fills.
    EXPECT_LE(store_->TailSize(), 2 * options.compact_every_rows + 2 * 12);
    ASSERT_EQ(*store_->Count(), all.size()) << "round " << round;
    for (const auto& [terminal, positions] : expected) {
      auto sorted = positions;
      std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.device_time_ms != b.device_time_ms ? a.device_time_ms < b.device_time_ms
                                                    : a.serial < b.serial;
      });
      ASSERT_EQ(TrackAll(terminal), sorted) << "round " << round << " terminal " << terminal;
    }
    const auto& probe = all[next() % all.size()];
    EXPECT_TRUE(*store_->Contains(KeyOf(probe)));
  }
  EXPECT_TRUE(saw_sealed);
  EXPECT_TRUE(saw_sealed_and_chunks);
  // Everything again, all at once and one by one: nothing is new.
  EXPECT_EQ(*store_->Append(all), 0u);
  for (size_t i = 0; i < all.size(); i += 7) {
    EXPECT_EQ(*store_->Append(std::span(all).subspan(i, 1)), 0u);
  }
  ASSERT_TRUE(store_->Compact());
  EXPECT_EQ(store_->TailSize(), 0u);
  Open(options);
  EXPECT_EQ(*store_->Count(), all.size());
  EXPECT_EQ(*store_->Append(all), 0u);
  EXPECT_EQ(*store_->LatestCount(), expected.size());
  size_t tracked = 0;
  for (const auto& [terminal, positions] : expected) {
    tracked += TrackAll(terminal).size();
  }
  EXPECT_EQ(tracked, all.size());
}

INSTANTIATE_TEST_SUITE_P(ReopenAfterEveryAppend, IncrementalCompactionTest,
                         ::testing::Values(false, true));

TEST_F(SqliteStoreTest, CompactionSlicesAreBoundedAndKeepUp) {
  SqliteOptions options;
  options.compact_every_rows = 1000;
  options.compact_slice_rows = 50;
  options.compact_every_ms = 0;
  Open(options);
  size_t max_tail = 0;
  int seals = 0;
  size_t last_sealed = 0;
  for (int round = 0; round < 100; ++round) {
    std::vector<model::Position> batch;
    for (int t = 0; t < 100; ++t) {
      batch.push_back(MakePosition(t, static_cast<uint16_t>(round), kT0 + round * 1000));
    }
    ASSERT_EQ(*store_->Append(batch), 100u);
    const size_t sealed = store_->SealedSize();
    if (sealed > last_sealed) {
      ++seals;
    } else if (last_sealed > 0) {
      // A slice takes about what arrives (100 here), not the whole sealed log.
      EXPECT_LE(last_sealed - sealed, 200u);
      EXPECT_GE(last_sealed - sealed, 50u);
    }
    last_sealed = sealed;
    max_tail = std::max(max_tail, store_->TailSize());
  }
  EXPECT_GE(seals, 8);
  EXPECT_LE(max_tail, 2100u);
  EXPECT_EQ(*store_->Count(), 10'000u);
  // An idle writer (batches of resends only) still finishes the sealed log.
  std::vector<model::Position> resend = {MakePosition(0, 0, kT0)};
  for (int i = 0; i < 50 && store_->SealedSize() > 0; ++i) {
    ASSERT_EQ(*store_->Append(resend), 0u);
  }
  EXPECT_EQ(store_->SealedSize(), 0u);
  EXPECT_EQ(*store_->Count(), 10'000u);
  EXPECT_EQ(TrackAll(Phone(42)).size(), 100u);
}

// Chunks of one terminal may overlap in time; the newest time must still be known at Open, or
// a resend of it would pass for new.
TEST_F(SqliteStoreTest, SkipsResendsAfterReopenWithOverlappingChunks) {
  SqliteOptions options;
  options.dedup_window = 4;
  Open(options);
  std::vector<model::Position> wide, inner;
  for (uint16_t i = 0; i < 6; ++i) {
    wide.push_back(MakePosition(1, i, kT0 + i * 600'000));  // t0 .. t0+50 min
  }
  for (uint16_t i = 0; i < 5; ++i) {
    inner.push_back(MakePosition(1, static_cast<uint16_t>(100 + i), kT0 + (i + 1) * 60'000));
  }
  ASSERT_EQ(*store_->Append(wide), 6u);
  ASSERT_TRUE(store_->Compact());
  ASSERT_EQ(*store_->Append(inner), 5u);
  ASSERT_TRUE(store_->Compact());
  Open(options);
  EXPECT_EQ(*store_->Append(std::vector{wide.back()}), 0u);
  EXPECT_EQ(*store_->Append(wide), 0u);
  EXPECT_EQ(*store_->Count(), 11u);
}

// The real thing: a child process appends with tiny compaction thresholds and is SIGKILLed at
// arbitrary moments, mid-compaction included; after every kill, whatever it acknowledged is
// there exactly once, and at most the batch in flight on top.
TEST_F(SqliteStoreTest, SigkillAtAnyMomentLosesAndDuplicatesNothing) {
  SqliteOptions options;
  options.compact_every_rows = 64;
  options.compact_slice_rows = 5;
  options.compact_every_ms = 0;
  options.dedup_window = 4;
  constexpr int kPerBatch = 8;
  constexpr int kTerminals = 6;
  auto batch_of = [](int k) {
    std::vector<model::Position> batch;
    for (int i = 0; i < kPerBatch; ++i) {
      const int n = k * kPerBatch + i;
      // Every fifth one is old blind-area data, to exercise lookups beyond the window.
      const int64_t time = n % 5 == 4 ? kT0 - n * 1000 : kT0 + n * 1000;
      batch.push_back(MakePosition(n % kTerminals, static_cast<uint16_t>(n), time));
    }
    return batch;
  };
  int acked = 0;  // batches [0, acked) are acknowledged
  uint32_t seed = 7;
  int killed_while_sealed = 0;
  for (int round = 0; round < 8; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const int start = std::max(0, acked - 3);  // terminals resend what they are unsure of
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      auto store = SqliteStore::Open(dir_, options);
      if (!store) {
        ::_exit(2);
      }
      for (int k = start;; ++k) {
        if (!(*store)->Append(batch_of(k))) {
          ::_exit(3);
        }
        if (::write(fds[1], &k, sizeof k) != sizeof k) {
          ::_exit(4);
        }
      }
    }
    ::close(fds[1]);
    seed = seed * 1103515245 + 12345;
    const int wait_for = 3 + static_cast<int>((seed >> 8) % 40);
    int k = 0, got = 0;
    while (got < wait_for && ::read(fds[0], &k, sizeof k) == sizeof k) {
      acked = std::max(acked, k + 1);
      ++got;
    }
    ::kill(child, SIGKILL);
    while (::read(fds[0], &k, sizeof k) == sizeof k) {
      acked = std::max(acked, k + 1);
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child failed with " << WEXITSTATUS(status);

    Open(options);
    killed_while_sealed += store_->SealedSize() > 0 ? 1 : 0;
    const uint64_t count = *store_->Count();
    const auto at_least = static_cast<uint64_t>(acked) * kPerBatch;
    ASSERT_TRUE(count == at_least || count == at_least + kPerBatch)
        << "round " << round << ": " << count << " stored, " << at_least << " acknowledged";
    const int batches = static_cast<int>(count / kPerBatch);
    std::map<std::string, std::vector<model::Position>> expected;
    for (int b = 0; b < batches; ++b) {
      for (const auto& p : batch_of(b)) {
        expected[p.terminal].push_back(p);
      }
    }
    for (auto& [terminal, positions] : expected) {
      std::sort(positions.begin(), positions.end(),
                [](const auto& a, const auto& b) { return a.device_time_ms < b.device_time_ms; });
      ASSERT_EQ(TrackAll(terminal), positions) << "round " << round;
    }
    // Resending everything adds nothing.
    for (int b = 0; b < batches; ++b) {
      ASSERT_EQ(*store_->Append(batch_of(b)), 0u) << "round " << round << " batch " << b;
    }
    acked = batches;
    store_.reset();  // no threads of the store while forking
  }
  EXPECT_GT(acked, 20);
  EXPECT_GT(killed_while_sealed, 0);
}

TEST_F(SqliteStoreTest, RejectsPositionWithoutTerminal) {
  SqliteStore& store = Open();
  auto result = store.Append(std::vector{model::Position{}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kBadValue);
}

}  // namespace
}  // namespace baotong::store
