#include "store/sqlite/database.h"

#include <sqlite3.h>

#include <string>

namespace baotong::store {

Statement::Statement(Statement&& other) noexcept
    : database_(other.database_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_error_(other.bind_error_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    database_ = other.database_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_error_ = other.bind_error_;
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  if (int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK)
    bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies, so temporaries are safe to pass.
  if (int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                                 SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    bind_error_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK)
    bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Result<bool> Statement::Step() {
  if (bind_error_ != 0) {
    int rc = std::exchange(bind_error_, 0);
    return tl::unexpected(
        database_->Check(rc, "sqlite: cannot bind a statement parameter").error());
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  return tl::unexpected(database_->Check(rc, "sqlite: statement failed").error());
}

Result<void> Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      return {};
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr)
    return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (IsNull(column))
    return std::nullopt;
  return Text(column);
}

std::optional<int64_t> Statement::OptionalInt(int column) const {
  if (IsNull(column))
    return std::nullopt;
  return Int(column);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int Statement::ColumnCount() const {
  return sqlite3_column_count(stmt_);
}

std::string_view Statement::ColumnName(int column) const {
  const char* name = sqlite3_column_name(stmt_, column);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

int64_t Statement::Changes() const {
  return database_->Changes();
}

Result<std::unique_ptr<Database>> Database::Open(const std::filesystem::path& file) {
  std::error_code ec;
  if (file.has_parent_path())
    std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    return Fail(ErrorCode::kStorage, "cannot create the database directory");
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<Database> database(new Database(raw));
  if (rc != SQLITE_OK)
    return tl::unexpected(database->Check(rc, "sqlite: cannot open the database file").error());
  sqlite3_busy_timeout(raw, 5000);
  if (auto ok = database->Exec(
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
      !ok)
    return tl::unexpected(ok.error());
  return database;
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

Result<void> Database::Check(int rc, std::string_view detail) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
    return {};
  last_message_ = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  if ((rc & 0xff) == SQLITE_CONSTRAINT)
    return Fail(ErrorCode::kConflict, detail);
  return Fail(ErrorCode::kStorage, detail);
}

Result<void> Database::Exec(std::string_view sql) {
  const std::string text(sql);
  return Check(sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr), "sqlite: exec failed");
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return tl::unexpected(Check(rc, "sqlite: cannot prepare a statement").error());
  }
  return Statement(this, stmt);
}

Result<void> Database::Migrate(std::string_view component,
                               std::span<const char* const> migrations) {
  const auto newest = static_cast<int64_t>(migrations.size());
  auto migrated = UpgradeOnce(component, newest, [&](int64_t from) -> Result<void> {
    for (int64_t version = from + 1; version <= newest; ++version) {
      if (auto ok = Exec(migrations[static_cast<size_t>(version - 1)]); !ok)
        return ok;
    }
    return {};
  });
  if (!migrated)
    return tl::unexpected(migrated.error());
  return {};
}

Result<bool> Database::UpgradeOnce(std::string_view component, int64_t version,
                                   const std::function<Result<void>(int64_t from)>& step) {
  if (auto ok = Exec(
          "CREATE TABLE IF NOT EXISTS component_migrations(component TEXT NOT NULL, version "
          "INTEGER NOT NULL, applied_at_ms INTEGER NOT NULL, PRIMARY KEY(component, version))");
      !ok)
    return tl::unexpected(ok.error());
  auto transaction = Transaction::Begin(*this);
  if (!transaction)
    return tl::unexpected(transaction.error());
  auto current = ComponentVersion(component);
  if (!current)
    return tl::unexpected(current.error());
  if (*current > version)
    return Fail(ErrorCode::kUnsupported, "database schema is newer than this build");
  if (*current == version)
    return false;
  if (auto ok = step(*current); !ok)
    return tl::unexpected(ok.error());
  if (auto ok = RecordComponentVersion(component, version); !ok)
    return tl::unexpected(ok.error());
  if (auto ok = transaction->Commit(); !ok)
    return tl::unexpected(ok.error());
  return true;
}

Result<int64_t> Database::ComponentVersion(std::string_view component) {
  auto query =
      Prepare("SELECT coalesce(max(version), 0) FROM component_migrations WHERE component = ?");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, component);
  if (auto row = query->Step(); !row)
    return tl::unexpected(row.error());
  return query->Int(0);
}

Result<void> Database::RecordComponentVersion(std::string_view component, int64_t version) {
  auto record = Prepare(
      "INSERT INTO component_migrations VALUES(?, ?, "
      "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))");
  if (!record)
    return tl::unexpected(record.error());
  return record->Bind(1, component).Bind(2, version).Run();
}

std::optional<std::filesystem::path> Database::directory() const {
  const char* file = sqlite3_db_filename(db_, "main");
  if (file == nullptr || *file == '\0')
    return std::nullopt;
  return std::filesystem::path(file).parent_path();
}

int64_t Database::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}

int64_t Database::Changes() const {
  return sqlite3_changes64(db_);
}

std::string Database::LastMessage() const {
  return last_message_;
}

Result<Transaction> Transaction::Begin(Database& database) {
  if (auto ok = database.Exec("BEGIN IMMEDIATE"); !ok)
    return tl::unexpected(ok.error());
  return Transaction(database);
}

Transaction::~Transaction() {
  if (open_)
    database_->Exec("ROLLBACK");
}

Result<void> Transaction::Commit() {
  auto ok = database_->Exec("COMMIT");
  if (ok)
    open_ = false;
  return ok;
}

}  // namespace baotong::store
