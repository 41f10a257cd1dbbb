// A small RAII layer over one SQLite connection, for the platform's record tables (registry,
// users, audit). The position store keeps its own tuned connections (sqlite_store.h).
//
// Errors carry a literal detail (common/error.h); the SQLite message of the last failure is
// kept on the Database for logs and tools (LastMessage()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace baotong::store {

class Database;

// One prepared statement. Bind indexes start at 1, column indexes at 0, as in SQLite.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& BindNull(int index);
  // NULL when absent.
  Statement& Bind(int index, const std::optional<std::string>& text);
  Statement& Bind(int index, const std::optional<int64_t>& value);

  // true: a row is ready to read; false: done. Errors from binding surface here.
  Result<bool> Step();
  // Runs to completion (for statements that return no rows).
  Result<void> Run();
  // Clears bindings and rewinds, for the next use.
  void Reset();
  // Steps through every row, calling `on_row(*this)` for each; `on_row` returns nothing or a
  // Result<void>, whose error stops the walk and is returned.
  template <typename OnRow>
  Result<void> ForEachRow(OnRow&& on_row);

  int64_t Int(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  bool IsNull(int column) const;
  int ColumnCount() const;
  std::string_view ColumnName(int column) const;
  // Number of rows the last INSERT/UPDATE/DELETE of the connection changed.
  int64_t Changes() const;

 private:
  friend class Database;
  Statement(Database* database, sqlite3_stmt* stmt) : database_(database), stmt_(stmt) {}
  Database* database_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_error_ = 0;
};

class Database {
 public:
  // Opens (creating the file and its directory if needed) in WAL mode with synchronous=FULL
  // and foreign keys on.
  static Result<std::unique_ptr<Database>> Open(const std::filesystem::path& file);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Result<void> Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);

  // Applies the migrations of `component` it has not applied yet, together in one transaction
  // (UpgradeOnce). migrations[i] is version i + 1. A database newer than this build is an error.
  Result<void> Migrate(std::string_view component, std::span<const char* const> migrations);
  // Brings `component` to `version` once, in one write transaction: reads the version recorded
  // (inside the transaction: another process may have upgraded meanwhile), refuses a newer one
  // (kUnsupported), does nothing when it is already `version`, and otherwise runs step(from)
  // and records `version`. True when the step ran. The step runs inside the transaction and
  // must not begin one.
  Result<bool> UpgradeOnce(std::string_view component, int64_t version,
                           const std::function<Result<void>(int64_t from)>& step);

  int64_t LastInsertRowId() const;
  int64_t Changes() const;
  // SQLite's message of the most recent failure on this connection.
  std::string LastMessage() const;
  sqlite3* handle() const { return db_; }
  // The directory of the database file, where its key files live; nullopt for a database
  // without a file (in memory, temporary).
  std::optional<std::filesystem::path> directory() const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  friend class Statement;
  Result<void> Check(int rc, std::string_view detail);
  // The newest version of `component` recorded in component_migrations (0 when none).
  Result<int64_t> ComponentVersion(std::string_view component);
  // Records that `component` now stands at `version`.
  Result<void> RecordComponentVersion(std::string_view component, int64_t version);
  sqlite3* db_;
  std::string last_message_;
};

template <typename OnRow>
Result<void> Statement::ForEachRow(OnRow&& on_row) {
  while (true) {
    auto row = Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      return {};
    if constexpr (std::is_void_v<decltype(on_row(*this))>) {
      on_row(*this);
    } else if (auto done = on_row(*this); !done) {
      return done;
    }
  }
}

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& database);
  Transaction(Transaction&& other) noexcept
      : database_(other.database_), open_(std::exchange(other.open_, false)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> Commit();

 private:
  explicit Transaction(Database& database) : database_(&database), open_(true) {}
  Database* database_;
  bool open_;
};

}  // namespace baotong::store
