#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "store/sqlite/position_codec.h"

namespace baotong::store {
namespace {

constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
// WAL pages after which the background thread checkpoints (SQLite's default for its automatic
// checkpoint), and after which the writer does it itself (256 MiB at 4 KiB pages).
constexpr int kCheckpointPages = 1000;
constexpr int kWriterCheckpointPages = 65'536;

// Numbered schema steps; step i (1-based) takes the schema from version i-1 to i. Never edit
// a released step: append a new one.
constexpr const char* kMigrations[] = {
    // 1: positions.
    R"sql(
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
)sql",
    // 2: terminal registrations.
    R"sql(
CREATE TABLE terminal_registrations(
  terminal TEXT PRIMARY KEY, auth_code TEXT NOT NULL, province_id INTEGER NOT NULL,
  city_id INTEGER NOT NULL, maker_id TEXT NOT NULL, terminal_model TEXT NOT NULL,
  terminal_id TEXT NOT NULL, plate_color INTEGER NOT NULL, plate TEXT NOT NULL,
  registered_at_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql",
    // 3: incremental compaction: a second log table; the two take turns as the active and the
    // sealed log.
    R"sql(
CREATE TABLE position_log_b(
  terminal_id INTEGER NOT NULL, serial INTEGER NOT NULL, device_time_ms INTEGER NOT NULL,
  receive_time_ms INTEGER NOT NULL, alarm INTEGER NOT NULL, status INTEGER NOT NULL,
  lat_e6 INTEGER NOT NULL, lon_e6 INTEGER NOT NULL, altitude_m INTEGER NOT NULL,
  speed_dkmh INTEGER NOT NULL, direction INTEGER NOT NULL, extras BLOB NOT NULL);
INSERT INTO store_meta VALUES('active_log', 0), ('sealed_next_terminal', 0),
  ('sealed_next_offset', 0);
)sql",
    // 4: the spatio-temporal index of compacted positions (path_cells.h): which terminals had a
    // report or a path segment in which grid cell during which hour. Stores older than this
    // version are indexed once at Open (cells_indexed says whether that is done).
    R"sql(
CREATE TABLE position_cells(
  bucket INTEGER NOT NULL, cell INTEGER NOT NULL, terminal_id INTEGER NOT NULL,
  PRIMARY KEY(bucket, cell, terminal_id)) WITHOUT ROWID;
INSERT INTO store_meta VALUES('cells_indexed', 0);
)sql",
    // 5: registrations by plate, so that a registration can be checked against the vehicles
    // other terminals hold (0x8100 result 1) without reading the whole table.
    R"sql(
CREATE INDEX terminal_registrations_by_plate ON terminal_registrations(plate);
)sql",
};

// The two log tables, indexed by store_meta.active_log.
constexpr const char* kInsertLog[] = {
    "INSERT INTO position_log VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    "INSERT INTO position_log_b VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
};
constexpr const char* kSelectLog[] = {
    "SELECT terminal_id, serial, device_time_ms, receive_time_ms, alarm, status, lat_e6, "
    "lon_e6, altitude_m, speed_dkmh, direction, extras FROM position_log ORDER BY rowid",
    "SELECT terminal_id, serial, device_time_ms, receive_time_ms, alarm, status, lat_e6, "
    "lon_e6, altitude_m, speed_dkmh, direction, extras FROM position_log_b ORDER BY rowid",
};
// Without WHERE, so that SQLite drops the table's pages instead of deleting row by row.
constexpr const char* kEmptyLog[] = {"DELETE FROM position_log", "DELETE FROM position_log_b"};

constexpr const char* kInsertChunk =
    "INSERT INTO position_chunks(terminal_id, first_time, last_time, count, data) "
    "VALUES(?1, ?2, ?3, ?4, ?5)";
constexpr const char* kUpsertLatest =
    "INSERT OR REPLACE INTO latest_positions(terminal_id, device_time_ms, data) "
    "VALUES(?1, ?2, ?3)";
constexpr const char* kSetMeta = "UPDATE store_meta SET value = ?2 WHERE key = ?1";
constexpr const char* kGetMeta = "SELECT value FROM store_meta WHERE key = ?1";
constexpr const char* kSelectChunks =
    "SELECT first_time, data FROM position_chunks WHERE terminal_id = ?1 AND first_time "
    "BETWEEN ?2 AND ?3 AND last_time >= ?4 ORDER BY first_time";
constexpr const char* kSelectNewestChunks =
    "SELECT first_time, data FROM position_chunks WHERE terminal_id = ?1 ORDER BY first_time "
    "DESC";
// Chunks of one terminal may overlap in time: the newest time stored may be in a chunk that
// starts before the newest chunk does, but less than kChunkMaxSpanMs before.
constexpr const char* kSelectNewestTime =
    "SELECT max(last_time) FROM position_chunks WHERE terminal_id = ?1 AND first_time >= ?2";
// TerminalsNear's limits: 40 days of hours, and rows of cells for ~200 km.
constexpr int64_t kMaxNearBuckets = 40 * 24;
constexpr int64_t kMaxNearCellRows = 200;
constexpr const char* kInsertCell =
    "INSERT OR IGNORE INTO position_cells(bucket, cell, terminal_id) VALUES(?1, ?2, ?3)";
constexpr const char* kSelectCellTerminals =
    "SELECT DISTINCT terminal_id FROM position_cells WHERE bucket = ?1 AND cell BETWEEN ?2 AND ?3";
constexpr const char* kSelectAllChunks =
    "SELECT data FROM position_chunks WHERE terminal_id = ?1 ORDER BY first_time";
constexpr const char* kInsertTerminal = "INSERT INTO terminals(phone) VALUES(?1)";
// Both read the columns ReadRegistration expects, in its order.
#define BAOTONG_REGISTRATION_COLUMNS                                                          \
  "SELECT terminal, auth_code, province_id, city_id, maker_id, terminal_model, terminal_id, " \
  "plate_color, plate, registered_at_ms FROM terminal_registrations "
constexpr const char* kFindRegistration = BAOTONG_REGISTRATION_COLUMNS "WHERE terminal = ?1";
constexpr const char* kFindRegistrationsByPlate = BAOTONG_REGISTRATION_COLUMNS "WHERE plate = ?1";
#undef BAOTONG_REGISTRATION_COLUMNS
constexpr const char* kUpsertRegistration =
    "INSERT OR REPLACE INTO terminal_registrations VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10)";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// SQLite reports more than our error codes can say; `detail` names the operation. Damage is
// kBadValue, everything else (I/O, full disk, lock timeouts, memory) kResourceLimit.
tl::unexpected<Error> SqlFail(int rc, std::string_view detail) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    return Fail(ErrorCode::kBadValue, detail);
  }
  return Fail(ErrorCode::kResourceLimit, detail);
}

// Resets a statement and clears its bindings when the scope ends.
class StmtUse {
 public:
  explicit StmtUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

const uint8_t kEmptyBlob = 0;

void BindBlob(sqlite3_stmt* stmt, int index, const void* data, size_t size) {
  // A null pointer would bind NULL, not an empty blob.
  sqlite3_bind_blob64(stmt, index, size == 0 ? &kEmptyBlob : data, size, SQLITE_STATIC);
}

void BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text64(stmt, index, text.empty() ? "" : text.data(), text.size(), SQLITE_STATIC,
                      SQLITE_UTF8);
}

std::span<const uint8_t> ColumnBlob(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return {static_cast<const uint8_t*>(data), static_cast<size_t>(size)};
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  if (text == nullptr || size <= 0) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

Result<void> Exec(sqlite3* db, const char* sql, std::string_view detail) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return SqlFail(rc, detail);
  }
  return {};
}

// Runs a statement that returns no rows (or whose rows do not matter).
Result<void> Run(sqlite3_stmt* stmt, std::string_view detail) {
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) {
    return SqlFail(rc, detail);
  }
  return {};
}

bool Older(const model::Position& a, const model::Position& b) {
  return a.device_time_ms != b.device_time_ms ? a.device_time_ms < b.device_time_ms
                                              : a.serial < b.serial;
}

bool SameKey(const model::Position& a, const model::Position& b) {
  return a.device_time_ms == b.device_time_ms && a.serial == b.serial;
}

// Orders by device time (then serial) and drops repeated keys: a reader can see a position both
// in its copy of the in-memory tail and in a chunk that a compaction just committed.
void SortUnique(std::vector<model::Position>& positions) {
  std::sort(positions.begin(), positions.end(), Older);
  positions.erase(std::unique(positions.begin(), positions.end(), SameKey), positions.end());
}

// Where a chunk may start to hold a time >= from_ms: chunks span less than kChunkMaxSpanMs.
int64_t EarliestChunkStart(int64_t from_ms) {
  return from_ms < kI64Min + kChunkMaxSpanMs ? kI64Min : from_ms - (kChunkMaxSpanMs - 1);
}

struct BatchKey {
  uint32_t terminal_id;
  uint16_t serial;
  int64_t time;
  bool operator==(const BatchKey&) const = default;
};
struct BatchKeyHash {
  size_t operator()(const BatchKey& key) const {
    uint64_t h = static_cast<uint64_t>(key.time) * 0x9e3779b97f4a7c15ULL;
    h ^= (static_cast<uint64_t>(key.terminal_id) << 16 | key.serial) * 0xc2b2ae3d27d4eb4fULL;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

}  // namespace

// One database connection and its prepared statements; used by one thread at a time.
struct SqliteStore::Connection {
  DbPtr db;
  std::unordered_map<const char*, StmtPtr> statements;  // keyed by the SQL literal

  Result<sqlite3_stmt*> Prepare(const char* sql) {
    auto it = statements.find(sql);
    if (it != statements.end()) {
      return it->second.get();
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return SqlFail(rc, "sqlite: preparing a statement failed");
    }
    statements.emplace(sql, StmtPtr(stmt));
    return stmt;
  }
};

// A reader connection borrowed from the pool, returned when the lease ends.
class SqliteStore::ReaderLease {
 public:
  ReaderLease(SqliteStore* store, std::unique_ptr<Connection> connection)
      : store_(store), connection_(std::move(connection)) {}
  ReaderLease(ReaderLease&& other) noexcept = default;
  ReaderLease& operator=(ReaderLease&&) = delete;
  ~ReaderLease() {
    if (connection_) {
      store_->ReleaseReader(std::move(connection_));
    }
  }
  Connection& operator*() const { return *connection_; }

 private:
  SqliteStore* store_;
  std::unique_ptr<Connection> connection_;
};

bool SqliteStore::RecentKeys::Has(uint16_t serial, int64_t time) const {
  if (times.empty() || time > max_time) {
    return false;  // the usual case: a report newer than any before
  }
  for (size_t i = 0; i < times.size(); ++i) {
    if (times[i] == time && serials[i] == serial) {
      return true;
    }
  }
  return false;
}

void SqliteStore::RecentKeys::Add(uint16_t serial, int64_t time, size_t capacity) {
  if (capacity == 0) {
    return;
  }
  max_time = times.empty() ? time : std::max(max_time, time);
  if (times.size() < capacity) {
    times.push_back(time);
    serials.push_back(serial);
    return;
  }
  times[next] = time;
  serials[next] = serial;
  next = (next + 1) % capacity;
}

SqliteStore::SqliteStore(std::filesystem::path path, SqliteOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

SqliteStore::~SqliteStore() {
  if (checkpointer_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_one();
    checkpointer_.join();
  }
  checkpoint_connection_.reset();
  idle_readers_.clear();
  writer_.reset();  // the last connection to close checkpoints the WAL into the database
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::filesystem::path& data_dir,
                                                       SqliteOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Fail(ErrorCode::kResourceLimit, "cannot create the store's data directory");
  }
  if (options.file_name.empty()) {
    return Fail(ErrorCode::kBadValue, "sqlite store needs a file name");
  }
  std::filesystem::path path = data_dir / options.file_name;
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(path), std::move(options)));
  if (auto ok = store->Init(); !ok) {
    return tl::unexpected(ok.error());
  }
  return store;
}

Result<std::unique_ptr<SqliteStore::Connection>> SqliteStore::Connect() {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path_.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return SqlFail(rc, "sqlite: cannot open the database file");
  }
  sqlite3_busy_timeout(db.get(), options_.busy_timeout_ms);
  // synchronous=FULL: a commit is on disk (WAL fsynced) when it returns.
  if (auto ok = Exec(db.get(), "PRAGMA synchronous=FULL", "sqlite: cannot set synchronous"); !ok) {
    return tl::unexpected(ok.error());
  }
  auto connection = std::make_unique<Connection>();
  connection->db = std::move(db);
  return connection;
}

Result<void> SqliteStore::Init() {
  auto writer = Connect();
  if (!writer) {
    return tl::unexpected(writer.error());
  }
  writer_ = std::move(*writer);
  sqlite3* db = writer_->db.get();
  // journal_mode=WAL is persistent in the file, so readers opened later inherit it.
  // secure_delete=FAST: distributions build SQLite to zero every freed page, which would write
  // a sealed log's pages again (~14 MB per 200k positions) when it is emptied; its content
  // lives on in the chunks anyway. Deleted content in b-tree pages is still zeroed.
  const std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA cache_size=-" +
                              std::to_string(options_.writer_cache_kib) +
                              "; PRAGMA journal_size_limit=67108864; PRAGMA secure_delete=FAST;";
  if (auto ok = Exec(db, pragmas.c_str(), "sqlite: cannot configure the writer"); !ok) {
    return ok;
  }
  if (auto ok = Exec(db,
                     "CREATE TABLE IF NOT EXISTS schema_migrations("
                     "version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)",
                     "sqlite: cannot create schema_migrations");
      !ok) {
    return ok;
  }
  constexpr int kNewest = static_cast<int>(std::size(kMigrations));
  for (int version = 1; version <= kNewest; ++version) {
    // Re-read the version inside the write transaction: another process may have migrated.
    if (auto ok = Exec(db, "BEGIN IMMEDIATE", "sqlite: cannot begin a migration"); !ok) {
      return ok;
    }
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
                                &raw, nullptr);
    StmtPtr stmt(raw);
    int current = 0;
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      current = sqlite3_column_int(stmt.get(), 0);
      rc = SQLITE_OK;
    }
    stmt.reset();
    Result<void> step;
    if (rc != SQLITE_OK) {
      step = SqlFail(rc, "sqlite: cannot read the schema version");
    } else if (current > kNewest) {
      step = Fail(ErrorCode::kUnsupported, "database schema is newer than this build");
    } else if (current < version) {
      step = Exec(db, kMigrations[version - 1], "sqlite: a schema migration failed");
      if (step) {
        const std::string record =
            "INSERT INTO schema_migrations VALUES(" + std::to_string(version) +
            ", CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)); PRAGMA user_version=" +
            std::to_string(version) + ";";
        step = Exec(db, record.c_str(), "sqlite: cannot record a schema migration");
      }
    }
    if (step) {
      step = Exec(db, "COMMIT", "sqlite: cannot commit a schema migration");
    }
    if (!step) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return step;
    }
    schema_version_ = std::max(current, version);
  }
  if (auto ok = LoadState(); !ok) {
    return ok;
  }
  if (auto ok = IndexOldChunks(); !ok) {
    return ok;
  }
  return StartCheckpointer();
}

Result<void> SqliteStore::StartCheckpointer() {
  auto connection = Connect();
  if (!connection) {
    return tl::unexpected(connection.error());
  }
  checkpoint_connection_ = std::move(*connection);
  checkpointer_ = std::thread([this] { CheckpointLoop(); });
  // Replaces the writer's automatic checkpoints (wal_autocheckpoint is such a hook).
  sqlite3_wal_hook(writer_->db.get(), &SqliteStore::OnWalCommit, this);
  return {};
}

int SqliteStore::OnWalCommit(void* self, sqlite3* db, const char* name, int pages) {
  auto* store = static_cast<SqliteStore*>(self);
  if (pages >= kWriterCheckpointPages) {
    // The background thread cannot keep up (or a reader holds the WAL): bound its size here.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= kCheckpointPages) {
    {
      std::lock_guard lock(store->checkpoint_mu_);
      store->checkpoint_due_ = true;
    }
    store->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteStore::CheckpointLoop() {
  std::unique_lock lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [this] { return checkpoint_due_ || stopping_; });
    if (stopping_) {
      return;
    }
    checkpoint_due_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs and never blocks the writer. Failures (busy)
    // are retried at the next due checkpoint; the writer's own fallback bounds the WAL.
    sqlite3_wal_checkpoint_v2(checkpoint_connection_->db.get(), "main", SQLITE_CHECKPOINT_PASSIVE,
                              nullptr, nullptr);
    lock.lock();
  }
}

Result<void> SqliteStore::LoadState() {
  Connection& w = *writer_;
  auto get_meta = w.Prepare(kGetMeta);
  if (!get_meta) {
    return tl::unexpected(get_meta.error());
  }
  auto meta = [&](const char* key) -> Result<int64_t> {
    StmtUse use(*get_meta);
    BindText(use.get(), 1, key);
    const int rc = sqlite3_step(use.get());
    if (rc == SQLITE_ROW) {
      return sqlite3_column_int64(use.get(), 0);
    }
    if (rc == SQLITE_DONE) {
      return Fail(ErrorCode::kBadValue, "sqlite: store_meta lacks a required key");
    }
    return SqlFail(rc, "sqlite: cannot read store_meta");
  };
  auto compacted = meta("compacted_positions");
  auto active_log = meta("active_log");
  auto next_terminal = meta("sealed_next_terminal");
  auto next_offset = meta("sealed_next_offset");
  for (const auto* value : {&compacted, &active_log, &next_terminal, &next_offset}) {
    if (!*value) {
      return tl::unexpected(value->error());
    }
  }
  if (*compacted < 0 || (*active_log != 0 && *active_log != 1) || *next_terminal < 0 ||
      *next_terminal > std::numeric_limits<uint32_t>::max() || *next_offset < 0) {
    return Fail(ErrorCode::kBadValue, "sqlite: store_meta holds impossible values");
  }
  compacted_count_ = static_cast<uint64_t>(*compacted);
  active_log_ = static_cast<int>(*active_log);
  sealed_next_terminal_ = static_cast<uint32_t>(*next_terminal);
  sealed_next_offset_ = static_cast<uint64_t>(*next_offset);

  std::unordered_map<uint32_t, const std::string*> phones;
  auto stmt_or = w.Prepare("SELECT id, phone FROM terminals");
  if (!stmt_or) {
    return tl::unexpected(stmt_or.error());
  }
  {
    StmtUse use(*stmt_or);
    int rc;
    while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
      const auto id = static_cast<uint32_t>(sqlite3_column_int64(use.get(), 0));
      auto [it, inserted] = writer_terminals_.try_emplace(ColumnText(use.get(), 1));
      it->second.id = id;
      ids_.emplace(it->first, id);
      SetPhoneOfId(id, it->first);
      phones.emplace(id, &it->first);
    }
    if (rc != SQLITE_DONE) {
      return SqlFail(rc, "sqlite: cannot read terminals");
    }
  }

  stmt_or = w.Prepare("SELECT terminal_id, data FROM latest_positions");
  if (!stmt_or) {
    return tl::unexpected(stmt_or.error());
  }
  {
    StmtUse use(*stmt_or);
    int rc;
    std::vector<model::Position> decoded;
    while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
      auto phone = phones.find(static_cast<uint32_t>(sqlite3_column_int64(use.get(), 0)));
      if (phone == phones.end()) {
        return Fail(ErrorCode::kBadValue, "sqlite: latest position of an unknown terminal");
      }
      decoded.clear();
      if (auto ok = DecodePositions(ColumnBlob(use.get(), 1), *phone->second, decoded); !ok) {
        return ok;
      }
      if (decoded.size() != 1) {
        return Fail(ErrorCode::kBadValue, "sqlite: latest position row holds no position");
      }
      latest_.insert_or_assign(*phone->second, std::move(decoded[0]));
    }
    if (rc != SQLITE_DONE) {
      return SqlFail(rc, "sqlite: cannot read latest positions");
    }
  }

  // The logs, the sealed one first (it is older): what is not chunks yet.
  uint64_t skipped_of_next = 0;  // sealed positions of sealed_next_terminal_ seen
  for (const int table : {1 - active_log_, active_log_}) {
    const bool sealed = table != active_log_;
    stmt_or = w.Prepare(kSelectLog[table]);
    if (!stmt_or) {
      return tl::unexpected(stmt_or.error());
    }
    StmtUse use(*stmt_or);
    sqlite3_stmt* s = use.get();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      const auto id = static_cast<uint32_t>(sqlite3_column_int64(s, 0));
      if (sealed && (id < sealed_next_terminal_ ||
                     (id == sealed_next_terminal_ && skipped_of_next++ < sealed_next_offset_))) {
        continue;  // compacted already
      }
      auto phone = phones.find(id);
      if (phone == phones.end()) {
        return Fail(ErrorCode::kBadValue, "sqlite: logged position of an unknown terminal");
      }
      model::Position p;
      p.terminal = *phone->second;
      p.serial = static_cast<uint16_t>(sqlite3_column_int64(s, 1));
      p.device_time_ms = sqlite3_column_int64(s, 2);
      p.receive_time_ms = sqlite3_column_int64(s, 3);
      p.alarm = static_cast<uint32_t>(sqlite3_column_int64(s, 4));
      p.status = static_cast<uint32_t>(sqlite3_column_int64(s, 5));
      p.lat_e6 = static_cast<int32_t>(sqlite3_column_int64(s, 6));
      p.lon_e6 = static_cast<int32_t>(sqlite3_column_int64(s, 7));
      p.altitude_m = static_cast<uint16_t>(sqlite3_column_int64(s, 8));
      p.speed_dkmh = static_cast<uint16_t>(sqlite3_column_int64(s, 9));
      p.direction = static_cast<uint16_t>(sqlite3_column_int64(s, 10));
      auto extras = ColumnBlob(s, 11);
      p.extras.assign(extras.begin(), extras.end());
      auto latest = latest_.find(p.terminal);
      if (latest == latest_.end()) {
        latest_.emplace(p.terminal, p);
      } else if (p.device_time_ms >= latest->second.device_time_ms) {
        latest->second = p;
      }
      if (sealed) {
        sealed_[id].push_back(std::move(p));
        ++sealed_size_;
      } else {
        active_[id].push_back(std::move(p));
        ++active_size_;
      }
    }
    if (rc != SQLITE_DONE) {
      return SqlFail(rc, "sqlite: cannot read the position log");
    }
  }
  if (sealed_size_ == 0 && sealed_next_offset_ + sealed_next_terminal_ != 0) {
    // Cannot happen: the slice that finishes the sealed log also empties it and resets this.
    return Fail(ErrorCode::kBadValue, "sqlite: compaction progress without a sealed log");
  }

  // Dedup keys: each terminal's newest chunks (by time) until the window is full, then the
  // sealed log, then the active log.
  stmt_or = w.Prepare(kSelectNewestChunks);
  auto newest_time = w.Prepare(kSelectNewestTime);
  if (!stmt_or || !newest_time) {
    return tl::unexpected(!stmt_or ? stmt_or.error() : newest_time.error());
  }
  const size_t window = options_.dedup_window;
  std::vector<std::vector<model::Position>> chunks;
  for (auto& [phone, terminal] : writer_terminals_) {
    chunks.clear();
    size_t keys = 0;
    int64_t newest_first = kI64Min;
    {
      StmtUse use(*stmt_or);
      sqlite3_bind_int64(use.get(), 1, terminal.id);
      int rc = SQLITE_DONE;
      while (keys < window && (rc = sqlite3_step(use.get())) == SQLITE_ROW) {
        if (chunks.empty()) {
          newest_first = sqlite3_column_int64(use.get(), 0);
        }
        chunks.emplace_back();
        if (auto ok = DecodePositions(ColumnBlob(use.get(), 1), "", chunks.back()); !ok) {
          return ok;
        }
        keys += chunks.back().size();
      }
      if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        return SqlFail(rc, "sqlite: cannot read chunks for dedup");
      }
    }
    for (auto chunk = chunks.rbegin(); chunk != chunks.rend(); ++chunk) {
      for (const model::Position& p : *chunk) {
        terminal.recent.Add(p.serial, p.device_time_ms, window);
      }
    }
    if (!chunks.empty() && !terminal.recent.times.empty()) {
      StmtUse use(*newest_time);
      sqlite3_bind_int64(use.get(), 1, terminal.id);
      sqlite3_bind_int64(use.get(), 2, EarliestChunkStart(newest_first));
      const int rc = sqlite3_step(use.get());
      if (rc != SQLITE_ROW) {
        return SqlFail(rc, "sqlite: cannot read the newest chunk time");
      }
      if (sqlite3_column_type(use.get(), 0) != SQLITE_NULL) {
        terminal.recent.max_time =
            std::max<int64_t>(terminal.recent.max_time, sqlite3_column_int64(use.get(), 0));
      }
    }
    if (auto it = sealed_.find(terminal.id); it != sealed_.end()) {
      for (const model::Position& p : it->second) {
        terminal.recent.Add(p.serial, p.device_time_ms, window);
      }
    }
    if (auto it = active_.find(terminal.id); it != active_.end()) {
      for (const model::Position& p : it->second) {
        terminal.recent.Add(p.serial, p.device_time_ms, window);
      }
    }
  }

  count_ = compacted_count_ + sealed_size_ + active_size_;
  last_compaction_ = std::chrono::steady_clock::now();
  return {};
}

Result<SqliteStore::ReaderLease> SqliteStore::AcquireReader() {
  std::unique_lock lock(pool_mu_);
  for (;;) {
    if (!idle_readers_.empty()) {
      auto connection = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease(this, std::move(connection));
    }
    if (open_readers_ < std::max<size_t>(1, options_.reader_connections)) {
      ++open_readers_;
      lock.unlock();
      auto connection = Connect();
      if (!connection) {
        lock.lock();
        --open_readers_;
        pool_cv_.notify_one();
        return tl::unexpected(connection.error());
      }
      return ReaderLease(this, std::move(*connection));
    }
    pool_cv_.wait(lock);
  }
}

void SqliteStore::ReleaseReader(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(pool_mu_);
  idle_readers_.push_back(std::move(connection));
  pool_cv_.notify_one();
}

Result<void> SqliteStore::RegisterTerminals(std::span<const model::Position> batch) {
  std::vector<std::string_view> unknown;
  std::unordered_set<std::string_view> unknown_set;
  for (const model::Position& p : batch) {
    if (p.terminal.empty()) {
      return Fail(ErrorCode::kBadValue, "position without a terminal");
    }
    if (!writer_terminals_.contains(p.terminal) && unknown_set.insert(p.terminal).second) {
      unknown.push_back(p.terminal);
    }
  }
  if (unknown.empty()) {
    return {};
  }
  // Ids get their own transaction: an id without positions is harmless, and the batch's
  // transaction then never has to undo in-memory id assignments.
  sqlite3* db = writer_->db.get();
  auto insert = writer_->Prepare(kInsertTerminal);
  if (!insert) {
    return tl::unexpected(insert.error());
  }
  if (auto ok = Exec(db, "BEGIN IMMEDIATE", "sqlite: cannot begin registering terminals"); !ok) {
    return ok;
  }
  std::vector<uint32_t> new_ids;
  Result<void> result;
  for (std::string_view phone : unknown) {
    StmtUse use(*insert);
    BindText(use.get(), 1, phone);
    result = Run(use.get(), "sqlite: cannot insert a terminal");
    if (!result) {
      break;
    }
    new_ids.push_back(static_cast<uint32_t>(sqlite3_last_insert_rowid(db)));
  }
  if (result) {
    result = Exec(db, "COMMIT", "sqlite: cannot commit new terminals");
  }
  if (!result) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return result;
  }
  std::unique_lock lock(state_mu_);
  for (size_t i = 0; i < unknown.size(); ++i) {
    auto [it, inserted] = writer_terminals_.try_emplace(std::string(unknown[i]));
    it->second.id = new_ids[i];
    ids_.emplace(it->first, new_ids[i]);
    SetPhoneOfId(new_ids[i], it->first);
  }
  return {};
}

Result<size_t> SqliteStore::Append(std::span<const model::Position> batch) {
  return Write(batch);
}

Result<void> SqliteStore::Compact() {
  while (sealed_size_ > 0 || active_size_ > 0) {
    const SlicePlan slice = PlanSlice(std::numeric_limits<size_t>::max());
    const bool seal = active_size_ > 0 && (sealed_size_ == 0 || slice.finishes);
    if (auto ok = Commit(slice, {}, {}, seal, std::chrono::steady_clock::now()); !ok) {
      return ok;
    }
  }
  return {};
}

size_t SqliteStore::TailSize() const {
  std::shared_lock lock(state_mu_);
  return active_size_ + sealed_size_;
}

size_t SqliteStore::SealedSize() const {
  std::shared_lock lock(state_mu_);
  return sealed_size_;
}

size_t SqliteStore::SliceBudget(size_t fresh) const {
  if (sealed_size_ == 0) {
    return 0;
  }
  // Enough that the sealed log is done before the active log, growing by about `fresh` per
  // Append, reaches the threshold; twice the arrivals once it has.
  const size_t threshold = std::max<size_t>(1, options_.compact_every_rows);
  const size_t slice = std::max<size_t>(1, options_.compact_slice_rows);
  const size_t active_after = active_size_ + fresh;
  const size_t appends_left =
      active_after < threshold ? (threshold - active_after) / std::max<size_t>(1, fresh) : 0;
  const size_t needed = appends_left == 0 ? 2 * std::max(fresh, slice)
                                          : (sealed_size_ + appends_left - 1) / appends_left;
  return std::max(slice, needed);
}

SqliteStore::SlicePlan SqliteStore::PlanSlice(size_t budget) const {
  SlicePlan plan;
  for (const auto& [id, positions] : sealed_) {
    if (plan.rows >= budget) {
      break;
    }
    const size_t take = std::min(positions.size(), budget - plan.rows);
    plan.items.push_back({id, take});
    plan.rows += take;
  }
  if (plan.items.empty()) {
    return plan;
  }
  plan.finishes = plan.rows == sealed_size_;
  if (!plan.finishes) {
    const SliceItem& last = plan.items.back();
    if (last.count < sealed_.at(last.id).size()) {
      plan.next_terminal = last.id;
      plan.next_offset = (last.id == sealed_next_terminal_ ? sealed_next_offset_ : 0) + last.count;
    } else {
      plan.next_terminal = last.id + 1;
    }
  }
  return plan;
}

Result<void> SqliteStore::WriteChunks(uint32_t id, std::vector<const model::Position*>& group,
                                      std::string& blob) {
  auto insert_chunk = writer_->Prepare(kInsertChunk);
  if (!insert_chunk) {
    return tl::unexpected(insert_chunk.error());
  }
  std::stable_sort(
      group.begin(), group.end(),
      [](const model::Position* a, const model::Position* b) { return Older(*a, *b); });
  for (size_t begin = 0; begin < group.size();) {
    const int64_t first = group[begin]->device_time_ms;
    size_t end = begin + 1;
    while (end < group.size() && end - begin < kChunkMaxPositions &&
           static_cast<uint64_t>(group[end]->device_time_ms) - static_cast<uint64_t>(first) <
               static_cast<uint64_t>(kChunkMaxSpanMs)) {
      ++end;
    }
    blob.clear();
    EncodePositions(std::span(group).subspan(begin, end - begin), blob);
    StmtUse use(*insert_chunk);
    sqlite3_bind_int64(use.get(), 1, id);
    sqlite3_bind_int64(use.get(), 2, first);
    sqlite3_bind_int64(use.get(), 3, group[end - 1]->device_time_ms);
    sqlite3_bind_int64(use.get(), 4, static_cast<int64_t>(end - begin));
    BindBlob(use.get(), 5, blob.data(), blob.size());
    if (auto ok = Run(use.get(), "sqlite: cannot insert a chunk"); !ok) {
      return ok;
    }
    begin = end;
  }
  return {};
}

Result<void> SqliteStore::Commit(const SlicePlan& slice,
                                 std::span<const model::Position* const> fresh,
                                 std::span<WriterTerminal* const> owners, bool seal,
                                 std::chrono::steady_clock::time_point now) {
  sqlite3* db = writer_->db.get();
  auto set_meta = writer_->Prepare(kSetMeta);
  if (!set_meta) {
    return tl::unexpected(set_meta.error());
  }
  auto meta = [&](const char* key, int64_t value) {
    StmtUse use(*set_meta);
    BindText(use.get(), 1, key);
    sqlite3_bind_int64(use.get(), 2, value);
    return Run(use.get(), "sqlite: cannot update store_meta");
  };
  if (auto ok = Exec(db, "BEGIN IMMEDIATE", "sqlite: cannot begin an append"); !ok) {
    return ok;
  }
  // Each compacted terminal's newest compacted position, applied once the transaction commits.
  std::vector<std::pair<WriterTerminal*, model::Position>> newest_compacted;
  auto write = [&]() -> Result<void> {
    // The slice of the sealed log: chunks, their cells, latest positions and the progress.
    if (!slice.items.empty()) {
      auto upsert_latest = writer_->Prepare(kUpsertLatest);
      if (!upsert_latest) {
        return tl::unexpected(upsert_latest.error());
      }
      std::string blob;
      std::vector<const model::Position*> group;
      for (const SliceItem& item : slice.items) {
        const std::vector<model::Position>& positions = sealed_.at(item.id);
        group.clear();
        for (size_t i = 0; i < item.count; ++i) {
          group.push_back(&positions[i]);
        }
        // The newest by device time of all committed positions: in memory already.
        const model::Position& newest = latest_.at(positions.front().terminal);
        blob.clear();
        const model::Position* newest_ptr = &newest;
        EncodePositions(std::span(&newest_ptr, 1), blob);
        {
          StmtUse use(*upsert_latest);
          sqlite3_bind_int64(use.get(), 1, item.id);
          sqlite3_bind_int64(use.get(), 2, newest.device_time_ms);
          BindBlob(use.get(), 3, blob.data(), blob.size());
          if (auto ok = Run(use.get(), "sqlite: cannot store a latest position"); !ok) {
            return ok;
          }
        }
        if (auto ok = WriteChunks(item.id, group, blob); !ok) {
          return ok;
        }
        WriterTerminal& owner = writer_terminals_.find(positions.front().terminal)->second;
        if (auto ok = IndexCells(owner, group, newest_compacted); !ok) {
          return ok;
        }
      }
      if (auto ok =
              meta("compacted_positions", static_cast<int64_t>(compacted_count_ + slice.rows));
          !ok) {
        return ok;
      }
      if (slice.finishes) {
        if (auto ok = Exec(db, kEmptyLog[1 - active_log_], "sqlite: cannot empty the sealed log");
            !ok) {
          return ok;
        }
      }
      if (auto ok = meta("sealed_next_terminal", slice.next_terminal); !ok) {
        return ok;
      }
      if (auto ok = meta("sealed_next_offset", static_cast<int64_t>(slice.next_offset)); !ok) {
        return ok;
      }
    }
    // The batch.
    if (!fresh.empty()) {
      auto insert = writer_->Prepare(kInsertLog[active_log_]);
      if (!insert) {
        return tl::unexpected(insert.error());
      }
      sqlite3_stmt* s = *insert;
      for (size_t i = 0; i < fresh.size(); ++i) {
        const model::Position& p = *fresh[i];
        StmtUse use(s);
        sqlite3_bind_int64(s, 1, owners[i]->id);
        sqlite3_bind_int64(s, 2, p.serial);
        sqlite3_bind_int64(s, 3, p.device_time_ms);
        sqlite3_bind_int64(s, 4, p.receive_time_ms);
        sqlite3_bind_int64(s, 5, p.alarm);
        sqlite3_bind_int64(s, 6, p.status);
        sqlite3_bind_int64(s, 7, p.lat_e6);
        sqlite3_bind_int64(s, 8, p.lon_e6);
        sqlite3_bind_int64(s, 9, p.altitude_m);
        sqlite3_bind_int64(s, 10, p.speed_dkmh);
        sqlite3_bind_int64(s, 11, p.direction);
        BindBlob(s, 12, p.extras.data(), p.extras.size());
        if (auto ok = Run(s, "sqlite: cannot insert a position"); !ok) {
          return ok;
        }
      }
    }
    // Sealing: later appends go to the other table, empty now (progress is at its start).
    if (seal) {
      return meta("active_log", 1 - active_log_);
    }
    return {};
  };
  Result<void> written = write();
  if (written) {
    written = Exec(db, "COMMIT", "sqlite: cannot commit an append");
  }
  if (!written) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return written;
  }

  for (auto& [terminal, newest] : newest_compacted) {
    terminal->last_compacted = std::move(newest);
  }
  // Committed: publish to readers (who must never see a position in neither memory nor disk).
  // Copies are made, and compacted positions freed, outside the lock.
  std::vector<model::Position> copies;
  copies.reserve(fresh.size());
  for (const model::Position* p : fresh) {
    copies.push_back(*p);
  }
  std::vector<std::vector<model::Position>> compacted;
  compacted.reserve(slice.items.size());
  std::unique_lock lock(state_mu_);
  for (const SliceItem& item : slice.items) {
    auto it = sealed_.find(item.id);
    if (item.count == it->second.size()) {
      compacted.push_back(std::move(it->second));
      sealed_.erase(it);
    } else {
      it->second.erase(it->second.begin(),
                       it->second.begin() + static_cast<std::ptrdiff_t>(item.count));
    }
  }
  sealed_size_ -= slice.rows;
  compacted_count_ += slice.rows;
  if (!slice.items.empty()) {
    sealed_next_terminal_ = slice.next_terminal;
    sealed_next_offset_ = slice.next_offset;
  }
  for (size_t i = 0; i < fresh.size(); ++i) {
    active_[owners[i]->id].push_back(std::move(copies[i]));
  }
  active_size_ += fresh.size();
  for (const model::Position* p : fresh) {
    auto it = latest_.find(p->terminal);
    if (it == latest_.end()) {
      latest_.emplace(p->terminal, *p);
    } else if (p->device_time_ms >= it->second.device_time_ms) {
      it->second = *p;
    }
  }
  count_.fetch_add(fresh.size(), std::memory_order_relaxed);
  if (seal) {
    for (auto& [id, positions] : active_) {
      sealed_.emplace(id, std::move(positions));
    }
    active_.clear();
    sealed_size_ = active_size_;
    active_size_ = 0;
    active_log_ = 1 - active_log_;
    last_compaction_ = now;
  }
  lock.unlock();
  compacted.clear();
  return {};
}

Result<size_t> SqliteStore::Write(std::span<const model::Position> batch) {
  if (auto ok = RegisterTerminals(batch); !ok) {
    return tl::unexpected(ok.error());
  }
  // The new positions: not among their terminal's recent keys, nor earlier in this batch.
  std::vector<const model::Position*> fresh;
  std::vector<WriterTerminal*> owners;
  fresh.reserve(batch.size());
  owners.reserve(batch.size());
  {
    std::unordered_set<BatchKey, BatchKeyHash> seen;
    seen.reserve(batch.size());
    for (const model::Position& p : batch) {
      WriterTerminal& terminal = writer_terminals_.find(p.terminal)->second;
      if (terminal.recent.Has(p.serial, p.device_time_ms))
        continue;
      // Older than the ring can vouch for (a long resend, blind-area data out of order): ask
      // the store itself, so that dedup is exact and not only within the window.
      if (terminal.recent.MayHoldOlder(p.device_time_ms, options_.dedup_window)) {
        auto stored = Contains(model::KeyOf(p));
        if (!stored)
          return tl::unexpected(stored.error());
        if (*stored)
          continue;
      }
      if (!seen.insert({terminal.id, p.serial, p.device_time_ms}).second)
        continue;
      fresh.push_back(&p);
      owners.push_back(&terminal);
    }
  }

  // A pending sealed log gets a slice in this Append's transaction, whether or not the batch
  // holds anything new: an idle writer keeps compacting.
  const SlicePlan slice = PlanSlice(SliceBudget(fresh.size()));
  const auto now = std::chrono::steady_clock::now();
  const size_t active_after = active_size_ + fresh.size();
  // Only one sealed log at a time: a seal due while one is pending waits for it (SliceBudget
  // then compacts faster).
  const bool seal =
      (sealed_size_ == 0 || slice.finishes) && active_after > 0 &&
      (active_after >= options_.compact_every_rows ||
       (options_.compact_every_ms > 0 &&
        now - last_compaction_ >= std::chrono::milliseconds(options_.compact_every_ms)));
  if (fresh.empty() && slice.items.empty() && !seal) {
    return 0;
  }
  if (auto ok = Commit(slice, fresh, owners, seal, now); !ok) {
    return tl::unexpected(ok.error());
  }
  for (size_t i = 0; i < fresh.size(); ++i) {
    owners[i]->recent.Add(fresh[i]->serial, fresh[i]->device_time_ms, options_.dedup_window);
  }
  return fresh.size();
}

void SqliteStore::SetPhoneOfId(uint32_t id, const std::string& phone) {
  if (phone_of_id_.size() <= id) {
    phone_of_id_.resize(static_cast<size_t>(id) + 1);
  }
  phone_of_id_[id] = phone;
}

Result<std::optional<model::Position>> SqliteStore::NewestCompacted(uint32_t id,
                                                                    std::string_view phone) {
  auto newest_first = writer_->Prepare(kSelectNewestChunks);
  if (!newest_first) {
    return tl::unexpected(newest_first.error());
  }
  int64_t first_time = 0;
  {
    StmtUse use(*newest_first);
    sqlite3_bind_int64(use.get(), 1, id);
    const int rc = sqlite3_step(use.get());
    if (rc == SQLITE_DONE) {
      return std::optional<model::Position>();
    }
    if (rc != SQLITE_ROW) {
      return SqlFail(rc, "sqlite: cannot read the newest chunk");
    }
    first_time = sqlite3_column_int64(use.get(), 0);
  }
  // Chunks may overlap: the newest position lies in a chunk starting at most a span earlier.
  std::vector<model::Position> recent;
  if (auto ok = ReadChunks(*writer_, id, phone, first_time, std::numeric_limits<int64_t>::max(),
                           std::numeric_limits<size_t>::max(), recent);
      !ok) {
    return tl::unexpected(ok.error());
  }
  if (recent.empty()) {
    return std::optional<model::Position>();
  }
  model::Position newest = *std::max_element(recent.begin(), recent.end(), Older);
  newest.extras.clear();
  return std::optional<model::Position>(std::move(newest));
}

Result<void> SqliteStore::IndexCells(
    WriterTerminal& terminal, std::span<const model::Position* const> sorted_group,
    std::vector<std::pair<WriterTerminal*, model::Position>>& newest_compacted) {
  // Reports without a time or a place are stored but not indexed (path_cells.h).
  std::vector<const model::Position*> group;
  group.reserve(sorted_group.size());
  for (const model::Position* p : sorted_group) {
    if (IsPlaceable(*p)) {
      group.push_back(p);
    }
  }
  if (group.empty()) {
    return {};
  }
  std::vector<std::pair<int64_t, int64_t>> keys;  // (bucket, cell)
  std::vector<int64_t> cells;
  auto add_point = [&](const model::Position& p) {
    if (!IsPlaceable(p)) {
      return;
    }
    cells.clear();
    SegmentCells(p, p, cells);
    for (int64_t cell : cells) {
      keys.emplace_back(BucketOf(p.device_time_ms), cell);
    }
  };
  auto add_segment = [&](const model::Position& a, const model::Position& b) {
    if (!IsPathSegment(a, b)) {
      return;
    }
    cells.clear();
    SegmentCells(a, b, cells);
    for (int64_t bucket = BucketOf(a.device_time_ms); bucket <= BucketOf(b.device_time_ms);
         ++bucket) {
      for (int64_t cell : cells) {
        keys.emplace_back(bucket, cell);
      }
    }
  };
  const model::Position& first = *group.front();
  const model::Position& last = *group.back();
  const bool continues =
      terminal.last_compacted && terminal.last_compacted->device_time_ms < first.device_time_ms;
  if (continues) {
    // The usual case: the group continues the compacted track.
    add_segment(*terminal.last_compacted, first);
    add_point(first);
    for (size_t i = 1; i < group.size(); ++i) {
      add_segment(*group[i - 1], *group[i]);
      add_point(*group[i]);
    }
  } else {
    // After Open, or positions older than some compacted ones (blind-area data sent late): the
    // neighbours come from the chunks, which already hold this group.
    std::vector<model::Position> track;
    if (auto ok = ReadChunks(
            *writer_, terminal.id, first.terminal, first.device_time_ms - kPathMaxGapMs,
            last.device_time_ms + kPathMaxGapMs, std::numeric_limits<size_t>::max(), track);
        !ok) {
      return ok;
    }
    SortUnique(track);
    for (size_t i = 0; i < track.size(); ++i) {
      if (i > 0) {
        add_segment(track[i - 1], track[i]);
      }
      add_point(track[i]);
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  auto insert = writer_->Prepare(kInsertCell);
  if (!insert) {
    return tl::unexpected(insert.error());
  }
  for (const auto& [bucket, cell] : keys) {
    StmtUse use(*insert);
    sqlite3_bind_int64(use.get(), 1, bucket);
    sqlite3_bind_int64(use.get(), 2, cell);
    sqlite3_bind_int64(use.get(), 3, terminal.id);
    if (auto ok = Run(use.get(), "sqlite: cannot index a cell"); !ok) {
      return ok;
    }
  }
  // The terminal's newest compacted position from now on. Known before: the later of it and
  // this group's last. Unknown (after Open): only the chunks can tell, this group included.
  if (terminal.last_compacted) {
    if (terminal.last_compacted->device_time_ms < last.device_time_ms) {
      model::Position newest = last;
      newest.extras.clear();
      newest_compacted.emplace_back(&terminal, std::move(newest));
    }
  } else {
    auto newest = NewestCompacted(terminal.id, first.terminal);
    if (!newest) {
      return tl::unexpected(newest.error());
    }
    if (*newest && IsPlaceable(**newest)) {
      newest_compacted.emplace_back(&terminal, std::move(**newest));
    }
  }
  return {};
}

Result<void> SqliteStore::IndexOldChunks() {
  auto get_meta = writer_->Prepare(kGetMeta);
  if (!get_meta) {
    return tl::unexpected(get_meta.error());
  }
  {
    StmtUse use(*get_meta);
    BindText(use.get(), 1, "cells_indexed");
    if (sqlite3_step(use.get()) == SQLITE_ROW && sqlite3_column_int64(use.get(), 0) != 0) {
      return {};
    }
  }
  sqlite3* db = writer_->db.get();
  auto select = writer_->Prepare(kSelectAllChunks);
  if (!select) {
    return tl::unexpected(select.error());
  }
  // A transaction per batch of terminals, so that the WAL stays small; rows are inserted or
  // ignored, so a start interrupted half way simply indexes again from the beginning.
  constexpr size_t kTerminalsPerTransaction = 256;
  std::vector<WriterTerminal*> terminals;
  for (auto& [phone, terminal] : writer_terminals_) {
    terminals.push_back(&terminal);
  }
  std::vector<model::Position> track;
  std::vector<const model::Position*> group;
  for (size_t begin = 0; begin < terminals.size(); begin += kTerminalsPerTransaction) {
    std::vector<std::pair<WriterTerminal*, model::Position>> newest_compacted;
    auto index = [&]() -> Result<void> {
      const size_t end = std::min(terminals.size(), begin + kTerminalsPerTransaction);
      for (size_t i = begin; i < end; ++i) {
        WriterTerminal& terminal = *terminals[i];
        track.clear();
        {
          StmtUse use(*select);
          sqlite3_bind_int64(use.get(), 1, terminal.id);
          int rc;
          while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
            if (auto ok =
                    DecodePositions(ColumnBlob(use.get(), 0), phone_of_id_[terminal.id], track);
                !ok) {
              return ok;
            }
          }
          if (rc != SQLITE_DONE) {
            return SqlFail(rc, "sqlite: cannot read chunks to index");
          }
        }
        SortUnique(track);
        group.clear();
        for (const model::Position& p : track) {
          group.push_back(&p);
        }
        if (group.empty()) {
          continue;
        }
        // The whole track at once, as one group that continues nothing (a predecessor far in
        // the past is never a path segment), so that IndexCells does not read it again.
        model::Position before = *group.front();
        before.device_time_ms = std::numeric_limits<int64_t>::min() / 2;
        terminal.last_compacted = before;
        Result<void> indexed = IndexCells(terminal, group, newest_compacted);
        terminal.last_compacted.reset();
        if (!indexed) {
          return indexed;
        }
      }
      return {};
    };
    Result<void> done = Exec(db, "BEGIN IMMEDIATE", "sqlite: cannot begin indexing old chunks");
    if (done) {
      done = index();
    }
    if (done) {
      done = Exec(db, "COMMIT", "sqlite: cannot commit the cell index");
    }
    if (!done) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return done;
    }
    for (auto& [terminal, newest] : newest_compacted) {
      terminal->last_compacted = std::move(newest);
    }
  }
  return Exec(db, "UPDATE store_meta SET value = 1 WHERE key = 'cells_indexed'",
              "sqlite: cannot record the cell index");
}

Result<std::vector<NearTerminal>> SqliteStore::TerminalsNear(const BoxE6& box, int64_t from_ms,
                                                             int64_t to_ms) {
  std::vector<NearTerminal> result;
  if (from_ms > to_ms || box.min_lat_e6 > box.max_lat_e6 || box.min_lon_e6 > box.max_lon_e6) {
    return result;
  }
  if (from_ms < std::numeric_limits<int64_t>::min() / 2 ||
      to_ms > std::numeric_limits<int64_t>::max() / 2) {
    return Fail(ErrorCode::kBadValue, "TerminalsNear: time out of range");
  }
  const int64_t first_bucket = BucketOf(from_ms);
  const int64_t last_bucket = BucketOf(to_ms);
  if (last_bucket - first_bucket > kMaxNearBuckets ||
      CellRow(box.max_lat_e6) - CellRow(box.min_lat_e6) > kMaxNearCellRows) {
    return Fail(ErrorCode::kBadValue, "TerminalsNear: window or box too large");
  }
  // Terminal id -> the first and last bucket it may have been in the box in.
  std::unordered_map<uint32_t, std::pair<int64_t, int64_t>> hits;
  auto hit = [&](uint32_t id, int64_t low, int64_t high) {
    auto [it, inserted] = hits.try_emplace(id, low, high);
    if (!inserted) {
      it->second.first = std::min(it->second.first, low);
      it->second.second = std::max(it->second.second, high);
    }
  };
  // The tail: a segment that crosses the box, one end uncompacted, has that end within
  // kPathMaxStepM of the box and kPathMaxGapMs of the crossing.
  constexpr double kE6PerMetre = 180e6 / (6'371'008.8 * 3.14159265358979323846);
  const double max_abs_lat =
      std::min(89.0, std::max(std::abs(box.min_lat_e6), std::abs(box.max_lat_e6)) / 1e6 + 0.1);
  const auto reach_lat = static_cast<int64_t>(std::ceil(kPathMaxStepM * kE6PerMetre)) + 1;
  const auto reach_lon =
      static_cast<int64_t>(std::ceil(kPathMaxStepM * kE6PerMetre /
                                     std::cos(max_abs_lat * 3.14159265358979323846 / 180))) +
      1;
  const BoxE6 reach{box.min_lat_e6 - reach_lat, box.min_lon_e6 - reach_lon,
                    box.max_lat_e6 + reach_lat, box.max_lon_e6 + reach_lon};
  {
    std::shared_lock lock(state_mu_);
    auto scan = [&](uint32_t id, const std::vector<model::Position>& tail) {
      for (const model::Position& p : tail) {
        if (p.device_time_ms >= from_ms - kPathMaxGapMs &&
            p.device_time_ms <= to_ms + kPathMaxGapMs && reach.Contains(p.lat_e6, p.lon_e6)) {
          hit(id, BucketOf(std::max(from_ms, p.device_time_ms - kPathMaxGapMs)),
              BucketOf(std::min(to_ms, p.device_time_ms + kPathMaxGapMs)));
        }
      }
    };
    for (const auto& [id, tail] : sealed_) {
      scan(id, tail);
    }
    for (const auto& [id, tail] : active_) {
      scan(id, tail);
    }
  }
  auto lease = AcquireReader();
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  auto select = (**lease).Prepare(kSelectCellTerminals);
  if (!select) {
    return tl::unexpected(select.error());
  }
  const int64_t first_column = CellColumn(box.min_lon_e6);
  const int64_t last_column = CellColumn(box.max_lon_e6);
  for (int64_t bucket = first_bucket; bucket <= last_bucket; ++bucket) {
    for (int64_t row = CellRow(box.min_lat_e6); row <= CellRow(box.max_lat_e6); ++row) {
      StmtUse use(*select);
      sqlite3_stmt* s = use.get();
      sqlite3_bind_int64(s, 1, bucket);
      sqlite3_bind_int64(s, 2, CellKey(row, first_column));
      sqlite3_bind_int64(s, 3, CellKey(row, last_column));
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hit(static_cast<uint32_t>(sqlite3_column_int64(s, 0)), bucket, bucket);
      }
      if (rc != SQLITE_DONE) {
        return SqlFail(rc, "sqlite: cannot read the cell index");
      }
    }
  }
  std::shared_lock lock(state_mu_);
  for (const auto& [id, buckets] : hits) {
    if (id < phone_of_id_.size() && !phone_of_id_[id].empty()) {
      result.push_back({phone_of_id_[id], std::max(from_ms, buckets.first * kCellBucketMs),
                        std::min(to_ms, (buckets.second + 1) * kCellBucketMs - 1)});
    }
  }
  std::sort(result.begin(), result.end(),
            [](const NearTerminal& a, const NearTerminal& b) { return a.terminal < b.terminal; });
  return result;
}

Result<void> SqliteStore::ReadChunks(Connection& connection, uint32_t terminal_id,
                                     std::string_view phone, int64_t from_ms, int64_t through_ms,
                                     size_t limit, std::vector<model::Position>& out) {
  auto select = connection.Prepare(kSelectChunks);
  if (!select) {
    return tl::unexpected(select.error());
  }
  StmtUse use(*select);
  sqlite3_stmt* s = use.get();
  sqlite3_bind_int64(s, 1, terminal_id);
  sqlite3_bind_int64(s, 2, EarliestChunkStart(from_ms));
  sqlite3_bind_int64(s, 3, through_ms);
  sqlite3_bind_int64(s, 4, from_ms);
  std::vector<model::Position> chunk;
  size_t kept = 0;
  int64_t newest_kept = kI64Min;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const int64_t first_time = sqlite3_column_int64(s, 0);
    // Chunks come by first time: once `limit` kept positions are all older than this chunk's
    // first, neither it nor any later chunk can hold one of the first `limit`.
    if (kept >= limit && first_time > newest_kept) {
      break;
    }
    chunk.clear();
    if (auto ok = DecodePositions(ColumnBlob(s, 1), phone, chunk); !ok) {
      return ok;
    }
    for (model::Position& p : chunk) {
      if (p.device_time_ms >= from_ms && p.device_time_ms <= through_ms) {
        newest_kept = std::max(newest_kept, p.device_time_ms);
        ++kept;
        out.push_back(std::move(p));
      }
    }
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return SqlFail(rc, "sqlite: cannot read chunks");
  }
  return {};
}

Result<std::vector<model::Position>> SqliteStore::Track(std::string_view terminal, int64_t from_ms,
                                                        int64_t to_ms, size_t limit) {
  std::vector<model::Position> result;
  if (from_ms >= to_ms || limit == 0) {
    return result;
  }
  // The in-memory logs first, then the chunks: a position compacted after the copy is then
  // found in the chunks (perhaps twice, which SortUnique undoes), never in neither.
  uint32_t id = 0;
  {
    std::shared_lock lock(state_mu_);
    auto it = ids_.find(terminal);
    if (it == ids_.end()) {
      return result;
    }
    id = it->second;
    auto copy = [&](const std::vector<model::Position>& tail) {
      for (const model::Position& p : tail) {
        if (p.device_time_ms >= from_ms && p.device_time_ms < to_ms) {
          result.push_back(p);
        }
      }
    };
    if (auto sealed = sealed_.find(id); sealed != sealed_.end()) {
      copy(sealed->second);
    }
    if (auto active = active_.find(id); active != active_.end()) {
      copy(active->second);
    }
  }
  auto lease = AcquireReader();
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  if (auto ok = ReadChunks(**lease, id, terminal, from_ms, to_ms - 1, limit, result); !ok) {
    return tl::unexpected(ok.error());
  }
  SortUnique(result);
  if (result.size() > limit) {
    result.resize(limit);
  }
  return result;
}

Result<std::vector<model::Position>> SqliteStore::Latest(size_t offset, size_t limit) {
  std::vector<model::Position> result;
  std::shared_lock lock(state_mu_);
  if (offset >= latest_.size() || limit == 0) {
    return result;
  }
  auto it = std::next(latest_.begin(), static_cast<std::ptrdiff_t>(offset));
  result.reserve(std::min(limit, latest_.size() - offset));
  for (; it != latest_.end() && result.size() < limit; ++it) {
    result.push_back(it->second);
  }
  return result;
}

Result<size_t> SqliteStore::LatestCount() {
  std::shared_lock lock(state_mu_);
  return latest_.size();
}

Result<uint64_t> SqliteStore::Count() {
  return count_.load(std::memory_order_relaxed);
}

Result<bool> SqliteStore::Contains(const model::PositionKey& key) {
  uint32_t id = 0;
  {
    std::shared_lock lock(state_mu_);
    auto it = ids_.find(key.terminal);
    if (it == ids_.end()) {
      return false;
    }
    id = it->second;
    auto holds = [&](const std::vector<model::Position>& tail) {
      return std::any_of(tail.begin(), tail.end(), [&](const model::Position& p) {
        return p.device_time_ms == key.device_time_ms && p.serial == key.serial;
      });
    };
    if (auto sealed = sealed_.find(id); sealed != sealed_.end() && holds(sealed->second)) {
      return true;
    }
    if (auto active = active_.find(id); active != active_.end() && holds(active->second)) {
      return true;
    }
  }
  auto lease = AcquireReader();
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  std::vector<model::Position> found;
  if (auto ok = ReadChunks(**lease, id, key.terminal, key.device_time_ms, key.device_time_ms,
                           std::numeric_limits<size_t>::max(), found);
      !ok) {
    return tl::unexpected(ok.error());
  }
  return std::any_of(found.begin(), found.end(),
                     [&](const model::Position& p) { return p.serial == key.serial; });
}

namespace {

// One row of kFindRegistration or kFindRegistrationsByPlate.
TerminalRecord ReadRegistration(sqlite3_stmt* s) {
  TerminalRecord record;
  record.terminal = ColumnText(s, 0);
  record.auth_code = ColumnText(s, 1);
  record.province_id = static_cast<uint16_t>(sqlite3_column_int64(s, 2));
  record.city_id = static_cast<uint16_t>(sqlite3_column_int64(s, 3));
  record.maker_id = ColumnText(s, 4);
  record.terminal_model = ColumnText(s, 5);
  record.terminal_id = ColumnText(s, 6);
  record.plate_color = static_cast<uint8_t>(sqlite3_column_int64(s, 7));
  record.plate = ColumnText(s, 8);
  record.registered_at_ms = sqlite3_column_int64(s, 9);
  return record;
}

}  // namespace

Result<std::optional<TerminalRecord>> SqliteStore::Find(std::string_view terminal) {
  auto lease = AcquireReader();
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  auto select = (**lease).Prepare(kFindRegistration);
  if (!select) {
    return tl::unexpected(select.error());
  }
  StmtUse use(*select);
  sqlite3_stmt* s = use.get();
  BindText(s, 1, terminal);
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) {
    return std::optional<TerminalRecord>();
  }
  if (rc != SQLITE_ROW) {
    return SqlFail(rc, "sqlite: cannot read a terminal registration");
  }
  return std::optional<TerminalRecord>(ReadRegistration(s));
}

Result<std::vector<TerminalRecord>> SqliteStore::FindByPlate(std::string_view plate) {
  auto lease = AcquireReader();
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  auto select = (**lease).Prepare(kFindRegistrationsByPlate);
  if (!select) {
    return tl::unexpected(select.error());
  }
  StmtUse use(*select);
  sqlite3_stmt* s = use.get();
  BindText(s, 1, plate);
  std::vector<TerminalRecord> records;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW)
    records.push_back(ReadRegistration(s));
  if (rc != SQLITE_DONE) {
    return SqlFail(rc, "sqlite: cannot read registrations by plate");
  }
  return records;
}

Result<void> SqliteStore::Upsert(const TerminalRecord& record) {
  return UpsertMany(std::span(&record, 1));
}

namespace {

void BindRegistration(sqlite3_stmt* s, const TerminalRecord& record) {
  BindText(s, 1, record.terminal);
  BindText(s, 2, record.auth_code);
  sqlite3_bind_int64(s, 3, record.province_id);
  sqlite3_bind_int64(s, 4, record.city_id);
  BindText(s, 5, record.maker_id);
  BindText(s, 6, record.terminal_model);
  BindText(s, 7, record.terminal_id);
  sqlite3_bind_int64(s, 8, record.plate_color);
  BindText(s, 9, record.plate);
  sqlite3_bind_int64(s, 10, record.registered_at_ms);
}

}  // namespace

Result<TerminalRecord> SqliteStore::UpdateTerminal(std::string_view terminal,
                                                   const TerminalChange& change) {
  auto lease = AcquireReader();
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  Connection& connection = **lease;
  auto select = connection.Prepare(kFindRegistration);
  if (!select) {
    return tl::unexpected(select.error());
  }
  auto upsert = connection.Prepare(kUpsertRegistration);
  if (!upsert) {
    return tl::unexpected(upsert.error());
  }
  sqlite3* db = connection.db.get();
  if (auto begun = Exec(db, "BEGIN IMMEDIATE", "sqlite: cannot begin changing a terminal");
      !begun) {
    return tl::unexpected(begun.error());
  }
  auto result = [&]() -> Result<TerminalRecord> {
    TerminalRecord record;
    {
      StmtUse use(*select);
      sqlite3_stmt* s = use.get();
      BindText(s, 1, terminal);
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) {
        return Fail(ErrorCode::kNotFound,
                    "网关不认识该终端 (the gateway does not know this terminal)");
      }
      if (rc != SQLITE_ROW) {
        return SqlFail(rc, "sqlite: cannot read a terminal registration");
      }
      record = ReadRegistration(s);
    }
    const std::string phone = record.terminal;
    if (auto changed = change(record); !changed) {
      return tl::unexpected(changed.error());
    }
    if (record.terminal != phone) {
      return Fail(ErrorCode::kBadValue, "a terminal change may not change its phone");
    }
    StmtUse use(*upsert);
    BindRegistration(use.get(), record);
    if (auto written = Run(use.get(), "sqlite: cannot store a terminal registration"); !written) {
      return tl::unexpected(written.error());
    }
    if (auto committed = Exec(db, "COMMIT", "sqlite: cannot commit a terminal change");
        !committed) {
      return tl::unexpected(committed.error());
    }
    return record;
  }();
  if (!result) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return result;
}

Result<void> SqliteStore::UpsertMany(std::span<const TerminalRecord> records) {
  for (const TerminalRecord& record : records) {
    if (record.terminal.empty()) {
      return Fail(ErrorCode::kBadValue, "terminal record without a terminal");
    }
  }
  if (records.empty()) {
    return {};
  }
  auto lease = AcquireReader();
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  Connection& connection = **lease;
  auto upsert = connection.Prepare(kUpsertRegistration);
  if (!upsert) {
    return tl::unexpected(upsert.error());
  }
  sqlite3* db = connection.db.get();
  Result<void> result = Exec(db, "BEGIN IMMEDIATE", "sqlite: cannot begin storing registrations");
  if (!result) {
    return result;
  }
  for (const TerminalRecord& record : records) {
    StmtUse use(*upsert);
    BindRegistration(use.get(), record);
    result = Run(use.get(), "sqlite: cannot store a terminal registration");
    if (!result) {
      break;
    }
  }
  if (result) {
    result = Exec(db, "COMMIT", "sqlite: cannot commit registrations");
  }
  if (!result) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return result;
}

}  // namespace baotong::store
